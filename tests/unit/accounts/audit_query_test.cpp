// accounts audit_query: the audit routes' query strings become filters, and every bad value
// is refused naming its field; the user filters are the administrators' only.
#include <enfinito/accounts/audit_query.hpp>

#include <boost/test/unit_test.hpp>

#include <map>

using namespace enfinito;

namespace {

using params = std::map<std::string, std::string, std::less<>>;

std::variant<store::audit::filter, accounts::query_refusal> read(const params& p, bool admin) {
  return accounts::read_audit_query(
      [&p](std::string_view name) -> std::optional<std::string> {
        auto it = p.find(name);
        if (it == p.end()) return std::nullopt;
        return it->second;
      },
      admin);
}

std::string refused_field(const params& p, bool admin) {
  auto r = read(p, admin);
  auto* bad = std::get_if<accounts::query_refusal>(&r);
  return bad ? bad->field : std::string();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(accounts_audit_query)

BOOST_AUTO_TEST_CASE(defaults_and_every_filter) {
  auto none = std::get<store::audit::filter>(read({}, false));
  BOOST_TEST(none.limit == 50u);
  BOOST_TEST(none.before_id == 0);
  BOOST_TEST(none.since == 0);
  BOOST_TEST(none.until == 0);
  auto f = std::get<store::audit::filter>(read({{"limit", "200"},
                                                {"cursor", "41"},
                                                {"action", "signin"},
                                                {"since", "1700000000500"},
                                                {"until", "1700000100001"},
                                                {"user", "usr_a"},
                                                {"actor", "usr_b"},
                                                {"tenant", "usr_c"}},
                                               true));
  BOOST_TEST(f.limit == 200u);
  BOOST_TEST(f.before_id == 41);
  BOOST_TEST(f.action == "signin");
  BOOST_TEST(f.since == 1700000000);  // down: the entry of second ...000 may be at .500
  BOOST_TEST(f.until == 1700000101);  // up: nothing before the asked instant is left out
  BOOST_TEST(f.user == "usr_a");
  BOOST_TEST(f.actor == "usr_b");
  BOOST_TEST(f.tenant == "usr_c");
  BOOST_TEST(f.mine.empty());  // the route sets it for GET /v1/me/audit
}

BOOST_AUTO_TEST_CASE(bad_values_name_their_field) {
  const std::pair<params, const char*> cases[] = {{{{"limit", "0"}}, "limit"},
                                                  {{{"limit", "201"}}, "limit"},
                                                  {{{"limit", "x"}}, "limit"},
                                                  {{{"cursor", "abc"}}, "cursor"},
                                                  {{{"cursor", ""}}, "cursor"},
                                                  {{{"action", "a b"}}, "action"},
                                                  {{{"action", ""}}, "action"},
                                                  {{{"since", "0"}}, "since"},
                                                  {{{"since", "-5"}}, "since"},
                                                  {{{"until", "1e9"}}, "until"},
                                                  {{{"until", "1234567890123456"}}, "until"},
                                                  {{{"since", "2000"}, {"until", "1000"}}, "until"},
                                                  {{{"user", "alice"}}, "user"},
                                                  {{{"actor", ""}}, "actor"},
                                                  {{{"tenant", "usr_a b"}}, "tenant"}};
  for (const auto& [p, field] : cases) {
    BOOST_TEST_CONTEXT(field << " " << p.begin()->second) { BOOST_TEST(refused_field(p, true) == field); }
  }
}

BOOST_AUTO_TEST_CASE(only_administrators_filter_by_user) {
  for (const char* name : {"user", "actor", "tenant"}) {
    BOOST_TEST(refused_field({{name, "usr_a"}}, false) == name);
    BOOST_TEST(refused_field({{name, "usr_a"}}, true).empty());
  }
}

BOOST_AUTO_TEST_SUITE_END()
