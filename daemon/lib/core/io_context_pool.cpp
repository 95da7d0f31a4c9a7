// core::io_context_pool: reactor threads, each running one io_context (hint 1).
#include <enfinito/core/io_context_pool.hpp>
#include <enfinito/core/log.hpp>

#include <pthread.h>

#include <string>

namespace enfinito::core {

io_context_pool::io_context_pool(std::size_t size) {
  if (size == 0) size = std::max(1u, std::thread::hardware_concurrency());
  for (std::size_t i = 0; i < size; ++i) {
    contexts_.push_back(std::make_unique<net::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

io_context_pool::~io_context_pool() {
  stop();
  join();
}

void io_context_pool::run() {
  for (std::size_t i = 0; i < contexts_.size(); ++i) {
    threads_.emplace_back([this, i] {
      std::string name = "reactor-" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.c_str());
      contexts_[i]->run();
    });
  }
}

void io_context_pool::release() { guards_.clear(); }

void io_context_pool::stop() {
  for (auto& c : contexts_) c->stop();
}

void io_context_pool::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

}  // namespace enfinito::core
