// Unit tests for feed::client_reader (daemon/lib/feed/client_message.cpp): the live feed's
// first-message resume request, sans-I/O.
#include <enfinito/feed/client_message.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

using namespace enfinito::feed;
using kind = client_action::kind;

BOOST_AUTO_TEST_SUITE(feed_client_message)

BOOST_AUTO_TEST_CASE(a_first_resume_request_resumes) {
  client_reader r(true, 4096);
  auto a = r.on_message(R"(  {"resume_after": 42, "other": [1, 2]})", true);
  BOOST_TEST((a.what == kind::resume));
  BOOST_TEST(a.resume_after == 42);
  BOOST_TEST(r.seen_message());
  client_reader zero(true, 4096);
  BOOST_TEST(zero.on_message(R"({"resume_after":0})", true).resume_after == 0);
}

BOOST_AUTO_TEST_CASE(other_messages_are_ignored) {
  const std::string ignored[] = {"hello", "", "[1,2]", "{}", R"({"resume_after": null})", "{not json",
                                 R"({"x": {"resume_after": 5}})",
                                 // Not I-JSON (issue 23): two parsers could read these two ways.
                                 R"({"resume_after": 5, "resume_after": 7})", R"({"resume_after": 5, "n": 1e999999})"};
  for (const auto& m : ignored) {
    BOOST_TEST_CONTEXT(m) {
      client_reader r(true, 4096);
      BOOST_TEST((r.on_message(m, true).what == kind::ignore));
    }
  }
  // Binary is never read as a resume request.
  client_reader r(true, 4096);
  BOOST_TEST((r.on_message(R"({"resume_after": 5})", false).what == kind::ignore));
}

BOOST_AUTO_TEST_CASE(a_resume_that_is_not_an_event_id_closes_with_1008) {
  const std::string bad[] = {R"({"resume_after": -1})",   R"({"resume_after": "12"})",
                             R"({"resume_after": 1.5})",  R"({"resume_after": 18446744073709551615})",
                             R"({"resume_after": true})", R"({"resume_after": {}})"};
  for (const auto& m : bad) {
    BOOST_TEST_CONTEXT(m) {
      client_reader r(true, 4096);
      auto a = r.on_message(m, true);
      BOOST_TEST((a.what == kind::close));
      BOOST_TEST(a.close_code == 1008);
      BOOST_TEST(a.reason == reason_bad_resume);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_late_resume_closes_with_1008) {
  {  // second message
    client_reader r(true, 4096);
    BOOST_TEST((r.on_message("hi", true).what == kind::ignore));
    auto a = r.on_message(R"({"resume_after": 3})", true);
    BOOST_TEST((a.what == kind::close));
    BOOST_TEST(a.reason == reason_late_resume);
  }
  {  // the wait ended before it came
    client_reader r(true, 4096);
    r.resume_window_closed();
    BOOST_TEST((r.on_message(R"({"resume_after": 3})", true).what == kind::close));
  }
  {  // after= in the URL
    client_reader r(false, 4096);
    BOOST_TEST(r.on_message(R"({"resume_after": 3})", true).close_code == 1008);
  }
}

BOOST_AUTO_TEST_CASE(oversized_messages_close_with_1009_and_reasons_fit_a_close_frame) {
  client_reader r(true, 16);
  auto a = r.on_message(std::string(17, 'x'), false);
  BOOST_TEST((a.what == kind::close));
  BOOST_TEST(a.close_code == 1009);
  for (auto reason : {reason_too_big, reason_bad_resume, reason_late_resume}) BOOST_TEST(reason.size() <= 123u);
}

BOOST_AUTO_TEST_SUITE_END()
