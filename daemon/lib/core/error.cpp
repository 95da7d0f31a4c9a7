// core::is_benign: the single filter for "normal" connection endings.
#include <enfinito/core/error.hpp>
#include <enfinito/core/net.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/websocket/error.hpp>

namespace enfinito::core {

bool is_benign(const error_code& ec) noexcept {
  return ec == net::error::operation_aborted || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::ssl::error::stream_truncated ||
         ec == beast::http::error::end_of_stream || ec == websocket::error::closed;
}

}  // namespace enfinito::core
