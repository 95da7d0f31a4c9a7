#pragma once
// The retention job (privacy promise P9): see retention.cpp.
#include <enfinito/config/settings.hpp>
#include <enfinito/core/net.hpp>
#include <enfinito/store/store.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>

namespace enfinito::app {

struct retention_pass {
  std::size_t messages = 0;
  std::size_t events = 0;
  std::size_t pending_statuses = 0;
  bool failed = false;
};

/** One pass: deletes everything past its retention, in batches of `batch_rows` per write. */
net::awaitable<retention_pass> run_retention_once(const config::retention_settings& r, store::store& db);

/** Runs a pass every `retention.interval_ms` on `ex` until the executor stops. */
void start_retention(const config::settings& cfg, store::store& db, executor ex);

}  // namespace enfinito::app
