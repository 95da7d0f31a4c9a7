// outbound::queue_metrics and prometheus_text: the text format's shape (HELP, TYPE, samples,
// escaped labels, a cumulative histogram whose _count is its +Inf bucket).
#include <enfinito/outbound/queue_metrics.hpp>

#include <boost/test/unit_test.hpp>

#include <array>
#include <string>

using namespace enfinito::outbound;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(outbound_queue_metrics)

BOOST_AUTO_TEST_CASE(families_and_escaped_labels) {
  std::string out;
  prometheus_text p(out);
  p.counter("x_total", "Things.", 3);
  p.gauge("y", "Now.", -2);
  p.family("z", "gauge", "Per key.");
  p.sample("z", {{"k", "a\"b\\c\nd"}}, std::uint64_t{7});
  BOOST_TEST(out ==
             "# HELP x_total Things.\n# TYPE x_total counter\nx_total 3\n"
             "# HELP y Now.\n# TYPE y gauge\ny -2\n"
             "# HELP z Per key.\n# TYPE z gauge\nz{k=\"a\\\"b\\\\c\\nd\"} 7\n");
}

BOOST_AUTO_TEST_CASE(histogram_is_cumulative) {
  std::string out;
  prometheus_text p(out);
  const std::array<double, 2> bounds{0.5, 1};
  const std::array<std::uint64_t, 3> counts{1, 2, 4};
  p.histogram("h", "Times.", bounds, counts, 2.5);
  BOOST_TEST(out ==
             "# HELP h Times.\n# TYPE h histogram\n"
             "h_bucket{le=\"0.500000\"} 1\nh_bucket{le=\"1.000000\"} 3\nh_bucket{le=\"+Inf\"} 7\n"
             "h_sum 2.500000\nh_count 7\n");
}

BOOST_AUTO_TEST_CASE(the_queue_families) {
  queue_metrics m;
  m.sent = 2;
  m.observe(3ms);
  m.observe(20s);
  m.failure(131000);
  m.failure(std::nullopt);
  std::string out;
  prometheus_text p(out);
  m.render(p);
  BOOST_TEST(out.find("\nenfinito_queue_sent_total 2\n") != std::string::npos);
  BOOST_TEST(out.find("enfinito_queue_send_failures_total{code=\"131000\"} 1\n") != std::string::npos);
  BOOST_TEST(out.find("enfinito_queue_send_failures_total{code=\"transport\"} 1\n") != std::string::npos);
  BOOST_TEST(out.find("enfinito_queue_meta_latency_seconds_bucket{le=\"0.005000\"} 1\n") != std::string::npos);
  BOOST_TEST(out.find("enfinito_queue_meta_latency_seconds_bucket{le=\"10.000000\"} 1\n") != std::string::npos);
  BOOST_TEST(out.find("enfinito_queue_meta_latency_seconds_bucket{le=\"+Inf\"} 2\n") != std::string::npos);
  BOOST_TEST(out.find("enfinito_queue_meta_latency_seconds_count 2\n") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
