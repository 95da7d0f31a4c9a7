// api::send_check_problem: a refused pre-send check as this API's problem+json
// (include/enfinito/api/templates_answers.hpp).
#include <enfinito/api/templates_answers.hpp>

#include <boost/json.hpp>

namespace enfinito::api {

http::response send_check_problem(const templates::problem& p) {
  boost::json::object o;
  o["type"] = "urn:enfinito:problem:" + p.code;
  o["title"] =
      p.meta_code == 131047 ? "The customer-service window is closed" : "Meta would refuse this template message";
  o["status"] = 422;
  o["code"] = p.code;
  o["field"] = p.field;
  o["detail"] = p.detail + "; nothing was queued";
  o["meta_code"] = p.meta_code;
  auto res = http::json_response(http::status::unprocessable_entity, boost::json::serialize(o));
  res.set(http::bhttp::field::content_type, "application/problem+json");
  return res;
}

}  // namespace enfinito::api
