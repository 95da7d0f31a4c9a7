#pragma once
/**
 * @file instances::explain_refusal: why Meta's check of an instance's credentials
 * (meta::verify_number) failed, in words the owner can act on: the field to fix, a stable code,
 * a title and what to do. For the connect / update / verify answers (api/instances_routes.cpp).
 * Meta's own text is never repeated (its error code and fbtrace id are, by the route). Pure.
 */
#include <enfinito/meta/client.hpp>

#include <string_view>

namespace enfinito::instances {

struct refusal {
  enum class kind {
    fix_input,    // Meta refused a credential: `field` names it
    unavailable,  // Meta could not be reached: nothing was checked or saved
    meta_error,   // Meta answered with an unexpected error
  };
  kind what = kind::meta_error;
  std::string_view field;  // empty unless fix_input
  std::string_view code, title, detail;
};

/** The refusal for `outcome` (not `ok`). */
refusal explain_refusal(meta::verify_outcome outcome) noexcept;

}  // namespace enfinito::instances
