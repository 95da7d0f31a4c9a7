#pragma once
/**
 * @file The fields of a broadcast create request (api/broadcasts_routes.cpp reads the HTTP
 * parts: content type, the body, the JSON parse): a CSV request's query parameters, the JSON body's members
 * (`template` {name, language}, `recipients`, `name`, `send_at`, `expires_at`, `skip_invalid`;
 * any other is refused), and the checks both forms share: the names' sizes with no control
 * characters, and the schedule (outbound::check_schedule, as for a single send). Pure.
 */
#include <enfinito/broadcasts/broadcasts.hpp>
#include <enfinito/core/field_refusal.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace enfinito::broadcasts {

/** The scheduling fields as given: unix ms, 0 when absent. */
struct given_times {
  std::int64_t send_at = 0;
  std::int64_t expires_at = 0;
};

/**
 * Reads the JSON body's members into `rq` and `t`. The `recipients` array is moved into
 * `rq.json_recipients` unless `recipients_split` (the route read its text apart:
 * split_recipients); it must be present either way.
 */
std::optional<core::field_refusal> read_json_fields(boost::json::object& body, bool recipients_split,
                                                    create_request& rq, given_times& t);

/** A request's query parameter by name, if present. */
using query_fn = std::function<std::optional<std::string>(std::string_view)>;

/**
 * Reads a CSV request's query parameters into `rq` and `t` (its body is the recipients):
 * `template`, `language` and `name` as given, `send_at` / `expires_at` (unix ms, 1 to 15
 * digits) and `skip_invalid` (`true` or `false`, default false).
 */
std::optional<core::field_refusal> read_csv_query(const query_fn& query, create_request& rq, given_times& t);

/** The checks of either form at `now`; sets `rq.send_at` and `rq.expires_at` from `t`. */
std::optional<core::field_refusal> finish_fields(create_request& rq, const given_times& t, std::int64_t now);

}  // namespace enfinito::broadcasts
