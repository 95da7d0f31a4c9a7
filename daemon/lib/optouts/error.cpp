// optouts::error category.
#include <enfinito/optouts/error.hpp>

#include <string>

namespace enfinito::optouts {
namespace {
struct category_impl : boost::system::error_category {
  const char* name() const noexcept override { return "enfinito.optouts"; }
  std::string message(int ev) const override {
    return static_cast<error>(ev) == error::opted_out ? "the recipient opted out" : "ok";
  }
};
}  // namespace

const boost::system::error_category& category() noexcept {
  static const category_impl c;
  return c;
}

}  // namespace enfinito::optouts
