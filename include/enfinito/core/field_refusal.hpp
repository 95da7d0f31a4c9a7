#pragma once
// core::field_refusal: a request field a domain module refused while reading a body, named the
// way the REST API's problem+json names it (api routes turn it into http::field_problem).
#include <string>

namespace enfinito::core {

/** A refused field: its name (empty: the body as a whole), what it must be, the problem code. */
struct field_refusal {
  std::string field;
  std::string detail;
  std::string code = "invalid_field";
};

}  // namespace enfinito::core
