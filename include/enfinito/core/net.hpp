#pragma once
/**
 * @file Namespace aliases used across Enfinito. The only place aliases are defined.
 * There is no `http` alias: `enfinito::http` is our HTTP module; Beast's is `beast::http`.
 */
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace boost::beast {}
namespace boost::beast::http {}
namespace boost::beast::websocket {}
namespace boost::json {}
namespace boost::asio::ssl {}

namespace enfinito {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace json = boost::json;
namespace ssl = boost::asio::ssl;
using executor = net::any_io_executor;
}  // namespace enfinito
