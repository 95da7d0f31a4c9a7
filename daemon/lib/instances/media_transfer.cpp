// instances::media_transfer: the process's media transfer slots and the streamed download of
// an instance's media from Meta (include/enfinito/instances/media_transfer.hpp).
#include <enfinito/core/log.hpp>
#include <enfinito/core/text.hpp>
#include <enfinito/instances/media_transfer.hpp>
#include <enfinito/meta/client.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <stdexcept>

namespace enfinito::instances {
namespace {

// One count for the process: uploads and downloads, on every reactor.
std::atomic<unsigned> media_in_flight{0};

// One fixed buffer per transfer (the server's chunk string, `piece` bytes).
constexpr std::size_t piece = 64 * 1024;

// Meta's error answer to a download: a Graph envelope, small; at most `piece` bytes are read.
net::awaitable<std::string> read_error_body(upstream::body_reader& reader) {
  std::string body;
  bool more = true;
  core::result<bool> got = true;  // outside the loop (GCC 12)
  while (more && body.size() < piece) {
    got = co_await reader.read(body, piece - body.size());
    more = got && *got;
  }
  co_return body;
}

download_refusal refused(download_refusal::kind k) { return download_refusal{.what = k}; }

}  // namespace

media_slot::media_slot(unsigned max) : held_(media_in_flight.fetch_add(1) < max) {
  if (!held_) media_in_flight.fetch_sub(1);
}

media_slot::~media_slot() {
  if (held_) media_in_flight.fetch_sub(1);
}

net::awaitable<std::variant<std::shared_ptr<download>, download_refusal>> open_download(const relay_target& t,
                                                                                        const std::string& media_id,
                                                                                        const download_limits& limits) {
  using kind = download_refusal::kind;
  auto looked_up = co_await media_info(t, media_id);
  if (auto* f = std::get_if<relay_failure>(&looked_up)) co_return download_refusal{.failure = std::move(*f)};
  auto& info = std::get<meta::media_info>(looked_up);
  if (info.file_size > limits.max_bytes) co_return refused(kind::too_large);
  // The token goes only to Meta's own hosts.
  if (!meta::media_url_allowed(info.url, t.meta.base_url())) {
    core::log::warn("meta.media_url_refused", {{"instance", t.instance_id}});
    co_return refused(kind::url_refused);
  }
  auto d = std::make_shared<download>(limits.max_concurrent);
  if (!d->slot.held()) co_return refused(kind::busy);
  d->instance_id = t.instance_id;
  const meta::call_options o{.max_response_bytes = limits.max_bytes, .timeout = limits.timeout};
  auto got = co_await t.meta.open_fetch(info.url, t.creds.access_token, o);
  if (!got && got.error() == meta::error::response_too_large) co_return refused(kind::too_large);
  if (!got) co_return download_refusal{.failure = {.what = relay_failure::kind::unreachable, .transport = got.error()}};
  d->reader = std::move(*got);
  d->info = std::move(info);
  const auto st = d->reader->status();
  if (st == 404) co_return refused(kind::gone);
  if (st < 200 || st >= 300) {
    auto body = co_await read_error_body(*d->reader);
    auto f = co_await meta_failed(t.db, t.instance_id, "media_download", meta::parse_error(st, body));
    co_return download_refusal{.failure = std::move(f)};
  }
  co_return d;
}

net::awaitable<core::result<bool>> next_piece(std::shared_ptr<download> d, std::string& chunk) {
  auto more = co_await d->reader->read(chunk, piece);
  if (!more) {
    core::log::warn("meta.media_download_broke", {{"instance", d->instance_id}, {"error", more.error().message()}});
    co_return more;
  }
  co_return *more;
}

namespace {

// A Content-Type we can safely repeat: `type/subtype[; params]`.
bool safe_content_type(std::string_view ct) {
  return core::header_value_safe(ct) && ct.find('/') != std::string_view::npos;
}

}  // namespace

download_headers headers_for(std::string_view answer_type, const meta::media_info& lookup) {
  download_headers h;
  h.content_type = safe_content_type(answer_type)        ? std::string(answer_type)
                   : safe_content_type(lookup.mime_type) ? lookup.mime_type
                                                         : "application/octet-stream";
  if (core::header_value_safe(lookup.sha256)) h.sha256 = lookup.sha256;
  return h;
}

std::string upload_spool_dir(const config::settings& cfg) {
  const std::filesystem::path dir =
      cfg.media.spool_dir.empty() ? config::beside_database(cfg, "spool") : std::filesystem::path(cfg.media.spool_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!ec) std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  if (ec) throw std::runtime_error("media.spool_dir " + dir.string() + ": " + ec.message());
  return dir.string();
}

}  // namespace enfinito::instances
