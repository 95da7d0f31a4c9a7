// A child process for the kill -9 test: writes rows through the group committer from many
// threads and prints "ack <id>" for each acknowledged write, until it is killed.
#include <enfinito/store/store.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <future>
#include <string>
#include <thread>
#include <vector>

using namespace enfinito;

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  std::string why;
  auto db = store::store::open({argv[1], true, 1, 1024, std::chrono::milliseconds(5000)}, &why);
  if (!db) {
    std::fprintf(stderr, "open: %s\n", why.c_str());
    return 1;
  }
  (*db)->write_sync([](store::connection& c) {
    return c.exec("CREATE TABLE IF NOT EXISTS crash_rows(id INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
  });
  const long base = std::stol(argv[2]);  // distinct ids per run
  net::io_context ctx(1);
  auto guard = net::make_work_guard(ctx);
  std::vector<std::thread> writers;
  for (int t = 0; t < 32; ++t) {
    writers.emplace_back([&, t] {
      for (long i = 0; i < 100000; ++i) {  // bounded; the test kills us long before
        long id = base + t * 100000 + i;
        std::promise<void> done;
        (*db)->submit_write(
            [id](store::connection& c) {
              core::error_code ec;
              auto* st = c.prepare("INSERT INTO crash_rows(id, payload) VALUES(?1, ?2)", ec);
              if (ec) return ec;
              return st->bind(1, static_cast<std::int64_t>(id)).bind(2, std::string(200, 'x')).run();
            },
            ctx.get_executor(),
            [id, &done](core::error_code ec) {
              if (!ec) std::printf("ack %ld\n", id), std::fflush(stdout);
              done.set_value();
            });
        done.get_future().wait();
      }
    });
  }
  ctx.run();
  return 0;
}
