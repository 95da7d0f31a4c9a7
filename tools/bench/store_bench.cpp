// store_bench: acknowledged durable writes per second through the group committer, against
// one transaction per write, in the same run. synchronous=FULL, 64 concurrent writers.
//
// A "writer" is a closed loop: submit a write, wait for its acknowledgement (posted back to
// an io_context, as a reactor would get it), submit the next. The baseline is the same store
// with commit_batch_max = 1, i.e. one BEGIN…COMMIT (one fsync) per write.
//
//   build/release/tools/bench/store_bench [seconds-per-mode (default 3)] [writers (default 64)]
#include <enfinito/store/store.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <algorithm>
#include <functional>
#include <string>
#include <unistd.h>

using namespace enfinito;
using clock_type = std::chrono::steady_clock;

namespace {

struct result {
  double writes_per_s = 0;
  double avg_batch = 0;
  double p50_us = 0, p99_us = 0;
};

result run(std::size_t batch_max, int writers, double seconds) {
  auto dir = std::filesystem::temp_directory_path() / ("enfinito-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / ("bench-" + std::to_string(batch_max) + ".db")).string();
  std::string why;
  auto db = store::store::open({path, true, 1, batch_max, std::chrono::milliseconds(5000)}, &why);
  if (!db) {
    std::fprintf(stderr, "open failed: %s\n", why.c_str());
    std::exit(1);
  }
  (*db)->write_sync([](store::connection& c) {
    return c.exec("CREATE TABLE bench(id INTEGER PRIMARY KEY, instance TEXT, payload TEXT NOT NULL)");
  });
  net::io_context ctx(1);
  auto guard = net::make_work_guard(ctx);
  std::atomic<bool> stop{false};
  std::uint64_t acked = 0;
  std::vector<std::uint32_t> latencies;
  latencies.reserve(1 << 20);
  std::int64_t next_id = 0;
  const std::string payload(300, 'p');  // about the size of a queued text message

  std::function<void()> submit_one;
  submit_one = [&] {
    if (stop.load()) return;
    auto id = next_id++;
    auto started = clock_type::now();
    (*db)->submit_write(
        [id, &payload](store::connection& c) {
          core::error_code ec;
          auto* st = c.prepare("INSERT INTO bench(id, instance, payload) VALUES(?1, ?2, ?3)", ec);
          if (ec) return ec;
          return st->bind(1, id).bind(2, "inst-1").bind(3, payload).run();
        },
        ctx.get_executor(),
        [&, started](core::error_code ec) {
          if (ec) {
            std::fprintf(stderr, "write failed: %s\n", ec.message().c_str());
            std::exit(1);
          }
          ++acked;
          latencies.push_back(static_cast<std::uint32_t>(
              std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - started).count()));
          submit_one();
        });
  };
  auto t0 = clock_type::now();
  for (int w = 0; w < writers; ++w) net::post(ctx, submit_one);
  net::steady_timer timer(ctx,
                          std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds)));
  std::uint64_t acked_at_stop = 0;
  double elapsed = 0;
  timer.async_wait([&](core::error_code) {
    stop = true;
    acked_at_stop = acked;
    elapsed = std::chrono::duration<double>(clock_type::now() - t0).count();
    guard.reset();
  });
  ctx.run();
  result r;
  r.writes_per_s = static_cast<double>(acked_at_stop) / elapsed;
  r.avg_batch = static_cast<double>((*db)->stats().writes.load()) / static_cast<double>((*db)->stats().batches.load());
  std::sort(latencies.begin(), latencies.end());
  if (!latencies.empty()) {
    r.p50_us = latencies[latencies.size() / 2];
    r.p99_us = latencies[latencies.size() * 99 / 100];
  }
  db->reset();
  std::filesystem::remove_all(dir);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  int writers = argc > 2 ? std::atoi(argv[2]) : 64;
  std::printf("store_bench: %d concurrent writers, synchronous=FULL, WAL, %.1f s per mode\n", writers, seconds);
  auto single = run(1, writers, seconds);
  std::printf("  one transaction per write : %9.0f acknowledged writes/s  p50 %6.0f us  p99 %6.0f us\n",
              single.writes_per_s, single.p50_us, single.p99_us);
  auto group = run(1024, writers, seconds);
  std::printf(
      "  group commit              : %9.0f acknowledged writes/s  p50 %6.0f us  p99 %6.0f us  (avg %.1f "
      "writes/commit)\n",
      group.writes_per_s, group.p50_us, group.p99_us, group.avg_batch);
  std::printf("  ratio group/single        : %9.1fx\n", group.writes_per_s / single.writes_per_s);
  return 0;
}
