#pragma once
/**
 * @file io_context_pool: one io_context per reactor thread (Asio's http/server2 shape).
 *
 * Each context is created with concurrency hint 1: a connection lives on one context and its
 * state needs no lock. Work crosses reactors only through `net::post(pool.at(i).get_executor(), …)`.
 *
 * Thread safety: `run`, `stop` and `join` are called from the owning (main) thread.
 */
#include <enfinito/core/net.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace enfinito::core {

class io_context_pool {
 public:
  /** @param size reactor count; 0 means one per core. */
  explicit io_context_pool(std::size_t size);
  io_context_pool(const io_context_pool&) = delete;
  io_context_pool& operator=(const io_context_pool&) = delete;
  ~io_context_pool();

  std::size_t size() const noexcept { return contexts_.size(); }
  net::io_context& at(std::size_t i) { return *contexts_.at(i); }
  /** The reactor that owns a hashed key (an instance id, for example). */
  net::io_context& owner_of(std::size_t hash) { return *contexts_[hash % contexts_.size()]; }

  /** Starts one thread per context. */
  void run();
  /** Lets contexts finish when they run out of work (drops the work guards). */
  void release();
  /** Stops every context at once. */
  void stop();
  void join();

 private:
  using guard = net::executor_work_guard<net::io_context::executor_type>;
  std::vector<std::unique_ptr<net::io_context>> contexts_;
  std::vector<guard> guards_;
  std::vector<std::thread> threads_;
};

}  // namespace enfinito::core
