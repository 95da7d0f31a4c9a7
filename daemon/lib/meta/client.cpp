// meta::client: Graph API calls over upstream::client (base URL, version, bearer token);
// and verify_number, the credential check used by instances.
#include <enfinito/meta/client.hpp>

#include <enfinito/crypto/tls.hpp>

namespace enfinito::meta {

core::result<std::shared_ptr<client>> client::make(client_options opts) {
  std::shared_ptr<client> c(new client(std::move(opts)));
  std::string_view b = c->opts_.base_url;
  while (b.ends_with('/')) b.remove_suffix(1);
  auto parts = upstream::parse_url(b);
  if (!parts) return parts.error();
  if (parts->target != "/") return upstream::error::bad_url;  // a base URL has no path
  auto ctx = crypto::make_client_context(c->opts_.ca_file.empty() ? std::nullopt
                                                                  : std::optional<std::string>(c->opts_.ca_file));
  if (!ctx) return ctx.error();
  upstream::options o;
  o.timeout = c->opts_.timeout;
  o.connect_timeout = c->opts_.connect_timeout;
  o.max_response_bytes = c->opts_.max_response_bytes;
  o.max_idle_per_reactor = c->opts_.max_idle_per_reactor;
  o.idle_timeout = c->opts_.idle_timeout;
  o.why = upstream::purpose::meta_graph;
  c->tls_ = std::move(*ctx);
  c->http_ = upstream::client::make(std::move(parts->where), o, c->tls_);
  return c;
}

net::awaitable<core::result<response>> client::send(request r, const core::secret_string& token) const {
  auto res = co_await send(std::move(r), token, call_options{});
  co_return res;
}

net::awaitable<core::result<response>> client::send(request r, const core::secret_string& token, call_options o) const {
  upstream::request u;
  u.method = r.method;
  u.target = r.target;
  u.body = r.body;
  u.body_more = {r.borrowed, r.tail};
  u.content_type = r.content_type;
  u.bearer = &token;
  u.timeout = o.timeout;
  u.max_response_bytes = o.max_response_bytes;
  auto got = co_await http_->call(u);
  if (!got) co_return got.error();
  co_return response{got->status, std::move(got->body), std::move(got->content_type)};
}

net::awaitable<core::result<std::unique_ptr<upstream::body_reader>>> client::open_fetch(
    std::string url, const core::secret_string& token, call_options o) const {
  auto parts = upstream::parse_url(url);
  if (!parts) co_return parts.error();
  upstream::options opts;
  opts.timeout = o.timeout.count() > 0 ? o.timeout : opts_.timeout;
  opts.connect_timeout = opts_.connect_timeout;
  opts.max_response_bytes = o.max_response_bytes ? o.max_response_bytes : opts_.max_response_bytes;
  opts.max_idle_per_reactor = 0;
  opts.why = upstream::purpose::meta_media;
  // The reader owns its connection; the client only lends it the origin, options and TLS context.
  auto once = upstream::client::make(std::move(parts->where), opts, tls_);
  upstream::request u;
  u.target = parts->target;
  u.accept = "*/*";
  u.bearer = &token;
  auto got = co_await once->open(u);
  co_return got;
}

namespace {

verification from_graph_error(const graph_error& e) {
  verification v;
  v.error = e;
  switch (classify(e)) {
    case disposition::needs_reauth:
      v.outcome = verify_outcome::token_invalid;
      return v;
    case disposition::retryable:
      v.outcome = verify_outcome::upstream_unavailable;
      return v;
    case disposition::permanent:
      break;
  }
  if (e.code == 104)
    v.outcome = verify_outcome::token_invalid;
  else if (e.code == 10 || (e.code >= 200 && e.code <= 299))
    v.outcome = verify_outcome::no_permission;
  else if (e.code == 100 || e.code == 803)
    v.outcome = verify_outcome::unknown_phone_number;
  else
    v.outcome = verify_outcome::upstream_error;
  return v;
}

// One page of `/{waba}/phone_numbers`: a verdict, or none and the next cursor in `after`
// (empty after the last page).
std::optional<verification> on_waba_page(const core::result<response>& list, const std::string& phone_number_id,
                                         const phone_number_info& info, std::string& after) {
  verification v;
  if (!list) {
    v.outcome = verify_outcome::upstream_unavailable;
    v.transport = list.error();
    return v;
  }
  if (!list->ok()) {
    auto w = from_graph_error(parse_error(list->status, list->body));
    if (w.outcome == verify_outcome::unknown_phone_number || w.outcome == verify_outcome::no_permission)
      w.outcome = verify_outcome::unknown_waba;
    return w;
  }
  auto numbers = parse_phone_number_page(list->body);
  if (!numbers) {
    // A phone number id given as the WABA id answers 100 above; anything else is odd.
    v.outcome = verify_outcome::unknown_waba;
    return v;
  }
  for (const auto& n : numbers->numbers)
    if (n.id == phone_number_id) {
      v.outcome = verify_outcome::ok;
      v.number = info;
      return v;
    }
  after = numbers->after;
  return std::nullopt;
}

}  // namespace

net::awaitable<verification> verify_number(const client& c, std::string phone_number_id, std::string waba_id,
                                           const core::secret_string& token) {
  verification v;
  // 1. The number itself, with the token.
  const request first = get_phone_number(c.version(), phone_number_id);
  auto got = co_await c.send(first, token);
  if (!got) {
    v.outcome = verify_outcome::upstream_unavailable;
    v.transport = got.error();
    co_return v;
  }
  if (!got->ok()) co_return from_graph_error(parse_error(got->status, got->body));
  auto info = parse_phone_number(got->body);
  if (!info) {
    v.outcome = info.error() == parse_failure::wrong_shape ? verify_outcome::not_a_phone_number
                                                           : verify_outcome::upstream_error;
    co_return v;
  }

  // 2. The WABA owns it. (Locals live outside the loop and nothing co_returns from inside
  // it: GCC 12 destroys some coroutine temporaries twice when they do.)
  std::string after;
  request req;
  core::result<response> list = response{};
  std::optional<verification> verdict;
  for (int page = 0; page < 10 && !verdict; ++page) {
    req = list_waba_phone_numbers(c.version(), waba_id, after);
    list = co_await c.send(req, token);
    verdict = on_waba_page(list, phone_number_id, *info, after);
    if (!verdict && after.empty()) break;
  }
  if (verdict) co_return *verdict;
  v.outcome = verify_outcome::waba_not_owner;
  co_return v;
}

}  // namespace enfinito::meta
