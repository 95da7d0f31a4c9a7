// accounts second_factor: TOTP enrolment, confirmation, removal and the sign-in's second step
// (see include/enfinito/accounts/second_factor.hpp).
#include <enfinito/accounts/second_factor.hpp>
#include <enfinito/accounts/sessions.hpp>

#include <enfinito/accounts/qr_svg.hpp>
#include <enfinito/accounts/totp.hpp>
#include <enfinito/auth/runtime.hpp>
#include <enfinito/core/clock.hpp>
#include <enfinito/crypto/hash.hpp>
#include <enfinito/crypto/instance_fields.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/crypto/vault.hpp>
#include <enfinito/crypto/vault_source.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/mail/outbox.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/second_factor.hpp>
#include <enfinito/store/store.hpp>

#include <array>

namespace enfinito::accounts {
namespace {

constexpr std::string_view issuer = "Enfinito";

std::int64_t now_s() { return core::wall_ms() / 1000; }

crypto::field_ref secret_ref(const std::string& user_id) {
  return {store::second_factor::table, user_id, store::second_factor::secret_field};
}

// Ten base32 characters (50 bits) from the system's random source.
std::string new_recovery_code() {
  std::array<unsigned char, 7> raw{};
  crypto::random_bytes(raw);
  const auto text = totp::base32(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
  return totp::format_recovery_code(text.substr(0, 10));
}

std::string recovery_hash(const std::string& normal) { return crypto::sha256_hex("recovery:" + normal); }

// Checks `typed` against the user's factor: a TOTP code (its step then used) or, when
// `recovery` allows, a recovery code (then consumed). Throttled and audited like passwords.
// The user's factor into `f` (left empty when there is none), on a reader.
net::awaitable<core::error_code> read_factor(context& ctx, const std::string& user_id,
                                             std::optional<store::second_factor::factor>& f) {
  auto read = [&](store::connection& c) -> core::error_code {
    auto r = store::second_factor::get(c, user_id);
    if (!r) return r.error();
    f = std::move(*r);
    return {};
  };
  co_return co_await ctx.db.read(read);
}

// `confirming`: the factor is the unconfirmed one being confirmed (no recovery codes yet).
net::awaitable<code_result> check(context& ctx, const store::accounts::user& u, const std::string& typed,
                                  const std::string& address, bool confirming, std::int64_t& step) {
  code_result out;
  if (auto wait = ctx.auth.throttle().blocked(u.email, address)) {
    out.verdict = code_verdict::throttled;
    out.wait = *wait;
    co_return out;
  }
  std::optional<store::second_factor::factor> f;
  out.ec = co_await read_factor(ctx, u.id, f);
  if (out.ec) co_return out;
  if (!f || f->confirmed_at.has_value() == confirming) {
    out.verdict = code_verdict::not_enrolled;
    co_return out;
  }
  auto v = co_await crypto::fresh_vault(ctx.vault, ctx.blocking);
  auto key = v->decrypt(f->secret_blob, secret_ref(u.id));
  if (!key) {
    out.ec = key.error();
    co_return out;
  }
  const auto accepted = totp::accept(key->reveal(), typed, core::wall_ms(), f->last_step);
  if (accepted) {
    step = *accepted;
    out.verdict = code_verdict::ok;
    co_return out;
  }
  const auto normal = confirming ? std::nullopt : totp::normal_recovery_code(typed);
  bool taken = false;
  auto take = [&](store::connection& c) -> core::error_code {
    if (auto ec = store::second_factor::take_recovery_code(c, u.id, recovery_hash(*normal), taken)) return ec;
    if (!taken) return {};
    return store::accounts::audit(c, u.id, u.id, "recovery_code_used", "", address);
  };
  if (normal) {
    auto ec = co_await ctx.db.write(take);
    if (ec) {
      out.ec = ec;
      co_return out;
    }
  }
  if (taken) {
    out.verdict = code_verdict::ok;
    out.recovery_code_used = true;
    co_return out;
  }
  ctx.auth.throttle().failure(u.email, address);
  auto record = [&](store::connection& c) {
    return store::accounts::audit(c, u.id, u.id, "second_factor_failed", "", address);
  };
  co_await ctx.db.write(record);
  out.verdict = code_verdict::wrong;
  co_return out;
}

}  // namespace

net::awaitable<enrolment> begin_enrolment(context& ctx, const store::accounts::user& u, const std::string& address,
                                          const std::string& session_id) {
  enrolment out;
  std::array<unsigned char, totp::secret_bytes> raw{};
  crypto::random_bytes(raw);
  const core::secret_string key(std::string(reinterpret_cast<const char*>(raw.data()), raw.size()));
  raw.fill(0);
  auto v = co_await crypto::fresh_vault(ctx.vault, ctx.blocking);
  const std::string blob = v->encrypt(key.reveal(), secret_ref(u.id));
  auto write = [&](store::connection& c) -> core::error_code {
    if (auto ec = store::second_factor::begin(c, u.id, blob, now_s(), session_id)) return ec;
    return store::accounts::audit(c, u.id, u.id, "second_factor_enrolment_started", "method=totp", address);
  };
  out.ec = co_await ctx.db.write(write);
  if (out.ec == store::error::constraint) {
    out.ec = {};
    out.already_enrolled = true;
    co_return out;
  }
  if (out.ec) co_return out;
  out.secret_base32 = core::secret_string(totp::base32(key.reveal()));
  out.uri = core::secret_string(totp::otpauth_uri(issuer, u.email, out.secret_base32.reveal()));
  co_return out;
}

net::awaitable<enrolment_qr> read_enrolment_qr(context& ctx, const store::accounts::user& u,
                                               const std::string& session_id) {
  enrolment_qr out;
  std::optional<store::second_factor::factor> f;
  out.ec = co_await read_factor(ctx, u.id, f);
  if (out.ec) co_return out;
  // Only the enrolling session, only before confirmation: after it the secret is never shown.
  if (!f || f->confirmed_at || session_id.empty() || f->enrolling_session != session_id) co_return out;
  auto v = co_await crypto::fresh_vault(ctx.vault, ctx.blocking);
  auto key = v->decrypt(f->secret_blob, secret_ref(u.id));
  if (!key) {
    out.ec = key.error();
    co_return out;
  }
  const core::secret_string uri(totp::otpauth_uri(issuer, u.email, totp::base32(key->reveal())));
  auto m = qr_encode(uri.reveal());
  if (!m) {
    out.ec = make_error_code(std::errc::message_size);  // an otpauth URI always fits: not expected
    co_return out;
  }
  out.svg = core::secret_string(qr_svg(*m));
  out.shown = true;
  co_return out;
}

net::awaitable<confirmation> confirm_enrolment(context& ctx, const store::accounts::user& u, const std::string& code,
                                               const std::string& address) {
  confirmation out;
  std::int64_t step = 0;
  auto checked = co_await check(ctx, u, code, address, true, step);
  static_cast<code_result&>(out) = checked;
  if (out.ec || out.verdict != code_verdict::ok) co_return out;
  ctx.auth.throttle().success(u.email);
  std::vector<std::string> hashes;
  for (std::size_t i = 0; i < totp::recovery_codes; ++i) {
    auto text = new_recovery_code();
    hashes.push_back(recovery_hash(*totp::normal_recovery_code(text)));
    out.recovery_codes.emplace_back(std::move(text));
  }
  auto write = [&](store::connection& c) -> core::error_code {
    if (auto ec = store::second_factor::confirm(c, u.id, step, now_s())) return ec;
    if (auto ec = store::second_factor::set_recovery_codes(c, u.id, hashes)) return ec;
    if (auto ec = store::second_factor::lift_restrictions(c, u.id)) return ec;
    return store::accounts::audit(c, u.id, u.id, "second_factor_enrolled", "method=totp", address);
  };
  out.ec = co_await ctx.db.write(write);
  if (out.ec == store::error::not_found) {  // removed or confirmed meanwhile
    out.ec = {};
    out.verdict = code_verdict::not_enrolled;
    out.recovery_codes.clear();
  }
  co_return out;
}

net::awaitable<code_result> remove_factor(context& ctx, const store::accounts::user& u, const std::string& code,
                                          const std::string& address) {
  std::int64_t step = 0;
  auto out = co_await check(ctx, u, code, address, false, step);
  if (out.ec || out.verdict != code_verdict::ok) co_return out;
  ctx.auth.throttle().success(u.email);
  auto write = [&](store::connection& c) -> core::error_code {
    if (auto ec = store::second_factor::remove(c, u.id)) return ec;
    return store::accounts::audit(c, u.id, u.id, "second_factor_removed", "method=totp", address);
  };
  out.ec = co_await ctx.db.write(write);
  if (out.ec == store::error::not_found) {
    out.ec = {};
    out.verdict = code_verdict::not_enrolled;
  }
  co_return out;
}

core::error_code reset_factor(store::connection& c, const config::settings& cfg, const crypto::vault& v,
                              std::string_view user_id, std::string_view actor_id, std::string_view by,
                              std::string_view address, factor_reset_outcome& out) {
  auto u = store::accounts::find_user_by_id(c, user_id);
  if (!u) return u.error();
  if (!*u) {
    out = factor_reset_outcome::no_user;
    return {};
  }
  auto ec = store::second_factor::remove(c, user_id);
  if (ec == store::error::not_found) {
    out = factor_reset_outcome::not_enrolled;
    return {};
  }
  if (ec) return ec;
  // Whoever holds a session may be the one who took the factor: everyone signs in again.
  if (auto e = store::accounts::delete_user_sessions(c, user_id)) return e;
  if (auto e = mail::enqueue(c, mail::second_factor_reset(user_id, (*u)->email, cfg), v)) return e;
  out = factor_reset_outcome::done;
  return store::accounts::audit(c, user_id, actor_id, "second_factor_reset", by, address);
}

net::awaitable<factor_reset_result> reset_by_admin(context& ctx, const std::string& user_id,
                                                   const std::string& actor_id, const std::string& address) {
  factor_reset_result out;
  const auto vault = ctx.vault.current();  // seals the mail
  auto work = [&](store::connection& c) {
    return reset_factor(c, ctx.cfg, *vault, user_id, actor_id, "by=administrator", address, out.outcome);
  };
  out.ec = co_await ctx.db.write(work);
  if (!out.ec && out.outcome == factor_reset_outcome::done)
    core::log::info("accounts.second_factor_reset", {{"user_id", user_id}, {"by", actor_id}});
  co_return out;
}

net::awaitable<factor_state> read_factor_state(context& ctx, const std::string& user_id) {
  factor_state out;
  auto read = [&](store::connection& c) -> core::error_code {
    auto f = store::second_factor::get(c, user_id);
    if (!f) return f.error();
    if (!*f) return {};
    out.enrolled = (*f)->confirmed_at.has_value();
    out.pending = !out.enrolled;
    auto n = store::second_factor::count_recovery_codes(c, user_id);
    if (!n) return n.error();
    out.recovery_codes_left = *n;
    return {};
  };
  out.ec = co_await ctx.db.read(read);
  co_return out;
}

net::awaitable<gate> second_factor_gate(context& ctx, const store::accounts::user& u, const std::string& method) {
  gate out;
  bool enrolled = false;
  auto read = [&](store::connection& c) { return store::second_factor::enrolled(c, u.id, enrolled); };
  out.ec = co_await ctx.db.read(read);
  if (out.ec || !enrolled) co_return out;
  out.required = true;
  out.challenge = core::secret_string(crypto::random_token(32));
  const auto hash = crypto::sha256_hex(out.challenge.reveal());
  const auto now = now_s();
  auto write = [&](store::connection& c) {
    return store::second_factor::insert_challenge(c, hash, u.id, method, now + challenge_ttl_s, now);
  };
  out.ec = co_await ctx.db.write(write);
  co_return out;
}

net::awaitable<second_step> complete_sign_in(context& ctx, const std::string& challenge, const std::string& code,
                                             const std::string& address) {
  second_step out;
  const auto hash = crypto::sha256_hex(challenge);
  std::optional<store::second_factor::challenge> found;
  std::optional<store::accounts::user> u;
  auto read = [&](store::connection& c) -> core::error_code {
    auto r = store::second_factor::find_challenge(c, hash, now_s());
    if (!r) return r.error();
    found = std::move(*r);
    if (!found) return {};
    auto usr = store::accounts::find_user_by_id(c, found->user_id);
    if (!usr) return usr.error();
    u = std::move(*usr);
    return {};
  };
  out.ec = co_await ctx.db.read(read);
  if (out.ec) co_return out;
  if (!found || !u || u->status != "active") {
    out.challenge_invalid = true;
    co_return out;
  }
  std::int64_t step = 0;
  auto checked = co_await check(ctx, *u, code, address, false, step);
  static_cast<code_result&>(out) = checked;
  if (out.ec || out.verdict != code_verdict::ok) co_return out;
  ctx.auth.throttle().success(u->email);
  const bool by_recovery = out.recovery_code_used;
  auto write = [&](store::connection& c) -> core::error_code {
    // The challenge is single-use; a TOTP step is used once (a replay loses the race here).
    if (auto ec = store::second_factor::delete_challenge(c, hash)) return ec;
    if (!by_recovery)
      if (auto ec = store::second_factor::use_step(c, u->id, step)) return ec;
    return store::accounts::audit(c, u->id, u->id, "second_factor_used",
                                  by_recovery ? "method=recovery_code" : "method=totp", address);
  };
  out.ec = co_await ctx.db.write(write);
  if (out.ec == store::error::constraint) {  // the same code twice at once: one wins
    out.ec = {};
    out.verdict = code_verdict::wrong;
    co_return out;
  }
  out.user = std::move(*u);
  out.method = found->method;
  auto token = co_await open_session(ctx, out.user.id, out.method, address);
  if (!token) {
    out.ec = token.error();
    co_return out;
  }
  out.session_token = std::move(*token);
  co_return out;
}

}  // namespace enfinito::accounts
