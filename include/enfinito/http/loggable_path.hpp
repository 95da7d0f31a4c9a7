#pragma once
/**
 * @file http::loggable_path: a request path as the access log may write it. The path keeps its
 * shape (the route is recognisable, Enfinito's own ids such as `ins_…` stay, so lines about an
 * instance are found by its id), but the customer's identifiers in it, such as the Phone
 * Number ID of `/graph/{version}/{phone-number-id}/messages`, a contact's phone number in
 * `/v1/instances/{id}/conversations/{peer}` or a Meta media id, become their keyed tags
 * (crypto/log_tag.hpp; the rule is docs/security.md, "Identifiers in logs").
 *
 * The rule is by shape, so that it also covers paths no route matched (a typo that still
 * carries a number): in every segment that is not one of our ids (a lower-case prefix and `_`),
 * each run of 5 or more decimal digits, with a `+` (or `%2B`) just before it, is replaced.
 * Meta's ids and phone numbers are all such runs; version segments (`v21.0`) are not.
 */
#include <functional>
#include <string>
#include <string_view>

namespace enfinito::http {

/** `path` with each identifier replaced by `tag(digits)`. */
std::string loggable_path(std::string_view path, const std::function<std::string(std::string_view)>& tag);

/** The same with crypto::log_tag (this process's key). */
std::string loggable_path(std::string_view path);

}  // namespace enfinito::http
