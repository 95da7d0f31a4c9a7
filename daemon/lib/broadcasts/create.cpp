// broadcasts::create and broadcasts::apply: a broadcast stored in batches and handed to the
// queue, and its pause, resume and cancel; the flow is drawn in broadcasts/broadcasts.hpp.
#include <enfinito/broadcasts/broadcasts.hpp>

#include <enfinito/core/clock.hpp>
#include <enfinito/core/log.hpp>
#include <enfinito/crypto/random.hpp>
#include <enfinito/meta/message_rules.hpp>
#include <enfinito/outbound/accept.hpp>
#include <enfinito/outbound/queue.hpp>
#include <enfinito/store/error.hpp>
#include <enfinito/store/store.hpp>
#include <enfinito/store/templates.hpp>
#include <enfinito/templates/checks.hpp>
#include <enfinito/templates/send_checks.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

namespace enfinito::broadcasts {
namespace {

namespace json = boost::json;

// The broadcast's template as the instance's local copy holds it (templates/checks.hpp).
struct template_copy {
  bool synced = false;                         // never synced: Meta judges, as for single sends
  std::optional<templates::definition> found;  // the copy's template of that name and language
};

// A header parameter of another kind than the template's header (a link for a TEXT header, an
// image for a DOCUMENT one): Meta refuses it (132012). The rule is templates::check_header_kind,
// the one single sends apply; here it names the row's `header.type`.
std::optional<rejection> header_kind_problem(const templates::definition* def, const recipient& r) {
  if (!def || !r.header) return std::nullopt;
  auto p = templates::check_header_kind(*def, r.header->type, "header.type");
  if (!p) return std::nullopt;
  return rejection{r.row, p->field, p->detail + " (Meta " + std::to_string(p->meta_code) + ")"};
}

// Reads and checks the list: each row's message as a single send is checked (Meta's rules for
// a template message, then the template's own parameters against the copy); runs on the
// blocking pool. The request's parsed JSON is dropped once read: from then on the rows are
// the list, so memory holds one of the two, not both. Rejected rows are removed in place (a
// second vector of 100,000 rows would double the peak).
recipient_list read_and_check(create_request& rq, const template_copy& copy) {
  auto l = rq.json_recipients      ? read_json(*rq.json_recipients)
           : !rq.json_text.empty() ? read_json_text(rq.json_text)
                                   : read_csv(rq.csv);
  rq.json_recipients.reset();
  if (l.fatal) return l;
  check_all(rq.tpl, l);
  std::vector<rejection> more;
  const templates::definition* def = copy.found ? &*copy.found : nullptr;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < l.rows.size(); ++i) {
    auto& r = l.rows[i];
    auto body = json::parse(template_body(rq.tpl, r));
    std::optional<rejection> bad = header_kind_problem(def, r);
    const auto* t = body.as_object().if_contains("template");
    if (!bad && t && t->is_object())
      if (auto p = templates::check_template(def, copy.synced, t->get_object()))
        bad = rejection{r.row, p->field, p->detail + " (Meta " + std::to_string(p->meta_code) + ")"};
    if (!bad) {
      auto checked = meta::check_message(std::move(body));
      if (!checked.ok) bad = rejection{r.row, checked.error.field, checked.error.detail};
    }
    if (!bad) {
      if (kept != i) l.rows[kept] = std::move(r);
      ++kept;
      continue;
    }
    ++l.rejected_count;
    if (l.rejected.size() + more.size() < max_rejections_listed) more.push_back(std::move(*bad));
  }
  l.rows.resize(kept);
  if (!more.empty()) {
    l.rejected.insert(l.rejected.end(), more.begin(), more.end());
    std::sort(l.rejected.begin(), l.rejected.end(),
              [](const rejection& a, const rejection& b) { return a.row < b.row; });
  }
  return l;
}

// One batch's messages, built from rows [from, to). Every row passed meta::check_message in
// read_and_check, whose normalized body is template_body's text itself (the unit tests hold
// it to that), so the body is not parsed and checked a second time.
void build(const create_request& rq, const recipient_list& l, std::size_t from, std::size_t to,
           std::vector<store::messages::message>& out) {
  out.clear();
  for (std::size_t i = from; i < to; ++i) {
    meta::checked_message m;
    m.type = "template";
    m.to = l.rows[i].to;
    m.body = template_body(rq.tpl, l.rows[i]);
    out.push_back(outbound::new_outbound(rq.instance.id, rq.api_key_id, std::move(m)));
  }
}

net::awaitable<create_result> run_create(context ctx, create_request& rq) {
  // Plain statements around every co_await (GCC 12, docs/engineering-notes.md).
  create_result out;
  template_copy copy;
  const std::string instance_id = rq.instance.id, tname = rq.tpl.name, tlang = rq.tpl.language;
  auto read_copy = [&](store::connection& c) -> core::error_code {
    store::templates::copy_state state;
    if (auto e = store::templates::state(c, instance_id, state)) return e;
    copy.synced = state.synced_at.has_value();
    store::templates::row r;
    auto e = store::templates::get(c, instance_id, tname, tlang, r);
    if (e == store::error::not_found) return {};
    if (e) return e;
    copy.found = templates::to_definition(r);
    return {};
  };
  // An unreadable copy leaves the template to Meta (as for a single send), not a false refusal.
  if (co_await ctx.db.read(read_copy)) copy = {};
  out.list = read_and_check(rq, copy);
  if (out.list.fatal) {
    out.what = create_result::kind::unusable;
    co_return out;
  }
  if ((out.list.rejected_count > 0 && !rq.skip_invalid) || out.list.rows.empty()) {
    out.what = create_result::kind::rejected;
    co_return out;
  }
  const auto now = core::wall_ms();
  auto& b = out.broadcast;
  b.id = "brd_" + crypto::time_ordered_token(16);
  b.instance_id = rq.instance.id;
  b.name = rq.name;
  b.template_name = rq.tpl.name;
  b.template_language = rq.tpl.language;
  b.recipients = static_cast<std::int64_t>(out.list.rows.size());
  b.rejected = static_cast<std::int64_t>(out.list.rejected_count);
  b.send_at = rq.send_at > 0 ? rq.send_at : now;
  b.expires_at = rq.expires_at;
  b.api_key_id = rq.api_key_id;
  b.created_at = now;
  b.updated_at = now;

  std::vector<store::messages::message> batch;
  batch.reserve(batch_rows);
  std::size_t from = 0;
  bool first = true;
  auto write_batch = [&](store::connection& c) -> core::error_code {
    if (first)
      if (auto e = store::broadcasts::insert(c, b)) return e;
    return store::broadcasts::insert_messages(c, b, batch);
  };
  core::error_code ec;
  while (from < out.list.rows.size()) {
    const auto to = std::min(out.list.rows.size(), from + batch_rows);
    build(rq, out.list, from, to, batch);
    ec = co_await ctx.db.write(write_batch);
    if (ec) break;
    first = false;
    from = to;
  }
  const std::string uid = rq.user_id, bid = b.id;
  auto start_fn = [&](store::connection& c) { return store::broadcasts::start(c, uid, bid, core::wall_ms()); };
  if (!ec) ec = co_await ctx.db.write(start_fn);
  if (ec) {
    core::log::warn("broadcasts.store_failed", {{"broadcast", b.id}, {"stored_rows", from}, {"reason", ec.message()}});
    out.what = create_result::kind::store_failed;
    out.ec = ec;
    co_return out;
  }
  b.state = "running";
  out.what = create_result::kind::created;
  // Only the rejections stay: the rows are in the database now.
  out.list.rows.clear();
  out.list.rows.shrink_to_fit();
  core::log::info("broadcasts.created", {{"broadcast", b.id},
                                         {"instance", b.instance_id},
                                         {"recipients", b.recipients},
                                         {"skipped_invalid", b.rejected}});
  co_return out;
}

}  // namespace

net::awaitable<create_result> create(context ctx, create_request rq) {
  if (rq.instance.status != "active") {
    create_result r;
    r.what = rq.instance.status == "needs_reauth" ? create_result::kind::needs_reauth : create_result::kind::disabled;
    co_return r;
  }
  // The whole create runs on the blocking pool: reading and checking 100,000 rows would hold
  // a reactor (and every connection on it) for a good part of a second.
  auto* req = &rq;
  auto job = [ctx, req]() -> net::awaitable<create_result> { co_return co_await run_create(ctx, *req); };
  create_result r = co_await net::co_spawn(ctx.blocking, std::move(job), net::use_awaitable);
  if (r.what == create_result::kind::created && ctx.q) ctx.q->notify(r.broadcast.instance_id);
  co_return r;
}

net::awaitable<control_result> apply(context ctx, std::string user_id, std::string id, control what) {
  control_result out;
  std::vector<std::string_view> from;
  std::string_view to;
  switch (what) {
    case control::pause:
      from = {"running"};
      to = "paused";
      break;
    case control::resume:
      from = {"paused"};
      to = "running";
      break;
    case control::cancel:
      from = {"preparing", "running", "paused"};
      to = "cancelled";
      break;
  }
  auto& b = out.broadcast;
  auto fn = [&](store::connection& c) {
    return store::broadcasts::transition(c, user_id, id, from, to, core::wall_ms(), b);
  };
  auto ec = co_await ctx.db.write(fn);
  if (ec == store::error::not_found)
    out.what = control_result::kind::not_found;
  else if (ec == store::error::constraint)
    out.what = control_result::kind::wrong_state;
  else if (ec)
    out.ec = ec;
  else
    out.what = control_result::kind::done;
  if (out.what != control_result::kind::done) co_return out;

  if (what == control::resume && ctx.q) ctx.q->notify(b.instance_id);
  if (what != control::cancel) co_return out;
  // Cancelled: the gate already stops every lease; now the queued messages become
  // `cancelled`, a batch per write so single sends commit between them.
  std::size_t done = cancel_rows;
  auto batch_fn = [&](store::connection& c) {
    return store::broadcasts::cancel_batch(c, user_id, id, cancel_rows, core::wall_ms(), done);
  };
  while (done >= cancel_rows) {
    ec = co_await ctx.db.write(batch_fn);
    if (ec) {
      // The rest stays queued behind the closed gate (never sent) and is counted as queued.
      core::log::warn("broadcasts.cancel_incomplete", {{"broadcast", id}, {"reason", ec.message()}});
      break;
    }
  }
  co_return out;
}

}  // namespace enfinito::broadcasts
