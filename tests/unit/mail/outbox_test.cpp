// mail: notification bodies carry only the notification (P7), header injection is refused at
// enqueue time, and the rendered message is well-formed.
#include <enfinito/mail/outbox.hpp>
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/store.hpp>

#include "support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

using namespace enfinito;

BOOST_AUTO_TEST_SUITE(mail_outbox)

BOOST_AUTO_TEST_CASE(bodies_hold_only_the_notification_and_links_use_the_public_url) {
  config::settings cfg;
  cfg.server.public_url = "https://gw.example.com";
  auto a = mail::approved("usr_x", "ada@example.com", cfg);
  BOOST_TEST(a.body.find("https://gw.example.com/") != std::string::npos);
  BOOST_TEST(a.body.find("usr_x") == std::string::npos);
  BOOST_TEST(a.body.find("ada") == std::string::npos);
  auto r = mail::password_reset("usr_x", "ada@example.com", "TOKEN123", cfg);
  BOOST_TEST(r.body.find("https://gw.example.com/reset-password#token=TOKEN123") != std::string::npos);
  BOOST_TEST(r.body.find("30 minutes") != std::string::npos);
  BOOST_TEST(r.body.find("ada") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(line_breaks_in_headers_are_refused_at_enqueue) {
  test::temp_dir dir;
  std::string why;
  auto db = store::store::open({(dir / "t.db").string()}, &why);
  BOOST_REQUIRE_MESSAGE(db, why);
  for (auto [to, subject] : {std::pair<std::string, std::string>{"a@example.com\r\nBcc: evil@x.org", "s"},
                             {"a@example.com", "s\nBcc: evil@x.org"},
                             {"", "s"}}) {
    auto ec = (*db)->write_sync([&](store::connection& c) { return mail::enqueue(c, {"", to, subject, "b"}); });
    BOOST_TEST(ec.failed());
  }
  BOOST_TEST(!(*db)->write_sync([](store::connection& c) {
    return mail::enqueue(c, {"", "a@example.com", "s", "line one\nline two"});
  }));
  std::int64_t n = 0;
  (*db)->read_sync([&](store::connection& c) {
    n = *store::accounts::mail_pending(c);
    return core::error_code{};
  });
  BOOST_TEST(n == 1);
}

BOOST_AUTO_TEST_CASE(rendered_mail_has_crlf_headers_and_a_plain_text_body) {
  config::settings cfg;
  cfg.smtp.from = "noreply@gw.example.com";
  store::accounts::mail m{1, "", "ada@example.com", "Hello", "one\ntwo\n", 0};
  auto text = mail::render(cfg, m);
  BOOST_TEST(text.find("From: noreply@gw.example.com\r\n") != std::string::npos);
  BOOST_TEST(text.find("To: ada@example.com\r\n") != std::string::npos);
  BOOST_TEST(text.find("Subject: Hello\r\n") != std::string::npos);
  BOOST_TEST(text.find("Content-Type: text/plain; charset=utf-8\r\n") != std::string::npos);
  BOOST_TEST(text.find("\r\n\r\none\r\ntwo\r\n") != std::string::npos);
  BOOST_TEST(text.find("@gw.example.com>\r\n") != std::string::npos);  // Message-ID
}

BOOST_AUTO_TEST_SUITE_END()
