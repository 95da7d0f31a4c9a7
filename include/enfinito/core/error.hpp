#pragma once
/**
 * @file Error conventions shared by every module.
 *
 * Async completions take `(boost::system::error_code, T)`; fallible synchronous functions
 * return `boost::system::result<T>`. `is_benign` is the one place that decides which codes
 * are normal ends of a connection rather than failures worth a log line.
 */
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

namespace enfinito::core {

using error_code = boost::system::error_code;
template <class T>
using result = boost::system::result<T, boost::system::error_code>;

/** Codes that end a connection or operation normally (peer closed, we cancelled, EOF). */
bool is_benign(const error_code& ec) noexcept;

}  // namespace enfinito::core
