#pragma once
/** @file optouts::error: the refusals of the opt-out module that callers answer apart. */
#include <boost/system/error_code.hpp>

#include <type_traits>

namespace enfinito::optouts {

enum class error {
  ok = 0,
  opted_out = 1,  // a single send to a recipient on the instance's list, refused by its settings
};

const boost::system::error_category& category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept { return {static_cast<int>(e), category()}; }

}  // namespace enfinito::optouts

template <>
struct boost::system::is_error_code_enum<enfinito::optouts::error> : std::true_type {};
