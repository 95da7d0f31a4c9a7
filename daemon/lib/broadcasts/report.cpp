// broadcasts::view, the counted reads and the outcome CSV export (broadcasts/report.hpp):
// what the broadcast routes answer with.
#include <enfinito/broadcasts/report.hpp>

#include <enfinito/core/json_page.hpp>
#include <enfinito/store/store.hpp>

#include <boost/json.hpp>

namespace enfinito::broadcasts {
namespace {

namespace json = boost::json;

json::value opt(const std::optional<std::int64_t>& v) { return v ? json::value(*v) : json::value(nullptr); }

}  // namespace

json::object list_json(const std::vector<store::broadcasts::broadcast>& rows,
                       const std::vector<store::broadcasts::counts>& counts, std::size_t limit) {
  json::array data;
  for (std::size_t i = 0; i < rows.size(); ++i) data.push_back(view(rows[i], &counts[i]));
  const bool full = !rows.empty() && rows.size() == limit;
  auto page = core::cursor_page(std::move(data), full ? std::optional(rows.back().created_at) : std::nullopt);
  json::object o{{"object", "list"}};
  for (auto& [k, v] : page) o[k] = std::move(v);
  return o;
}

json::object view(const store::broadcasts::broadcast& b, const store::broadcasts::counts* n) {
  json::object o{{"id", b.id},
                 {"object", "broadcast"},
                 {"instance_id", b.instance_id},
                 {"name", b.name},
                 {"template", {{"name", b.template_name}, {"language", b.template_language}}},
                 {"state", b.state},
                 {"recipients", b.recipients},
                 {"skipped_invalid", b.rejected},
                 {"send_at", b.send_at},
                 {"expires_at", opt(b.expires_at)},
                 {"started_at", opt(b.started_at)},
                 {"finished_at", opt(b.finished_at)},
                 {"created_at", b.created_at},
                 {"updated_at", b.updated_at}};
  if (n) {
    auto get = [&](const char* k) {
      auto it = n->by_status.find(k);
      return it == n->by_status.end() ? std::int64_t{0} : it->second;
    };
    json::object by_code;
    for (const auto& [k, v] : n->failed_by_code) by_code[k] = v;
    o["counts"] = json::object{{"queued", get("accepted") + get("sending")},
                               {"sent", get("sent")},
                               {"delivered", get("delivered")},
                               {"read", get("read")},
                               {"failed", get("failed") + get("dead")},
                               {"failed_by_code", std::move(by_code)},
                               {"expired", get("expired")},
                               {"cancelled", get("cancelled")},
                               {"skipped_opted_out", get("skipped_opted_out")}};
  }
  return o;
}

json::array rejections(const recipient_list& l) {
  json::array a;
  for (const auto& r : l.rejected) a.push_back(json::object{{"row", r.row}, {"field", r.field}, {"detail", r.detail}});
  return a;
}

net::awaitable<core::error_code> read_counts(store::store& db, std::string id, store::broadcasts::counts& out) {
  auto fn = [&](store::connection& c) { return store::broadcasts::count(c, id, out); };
  auto ec = co_await db.read(fn);
  co_return ec;
}

net::awaitable<core::error_code> list_counted(store::store& db, std::string user_id, std::string instance_id,
                                              std::int64_t before_ms, std::size_t limit,
                                              std::vector<store::broadcasts::broadcast>& rows,
                                              std::vector<store::broadcasts::counts>& counts) {
  auto fn = [&](store::connection& c) -> core::error_code {
    if (auto ec = store::broadcasts::list(c, user_id, instance_id, before_ms, limit, rows)) return ec;
    counts.resize(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i)
      if (auto ec = store::broadcasts::count(c, rows[i].id, counts[i])) return ec;
    return {};
  };
  auto ec = co_await db.read(fn);
  co_return ec;
}

void csv_field(std::string& out, std::string_view v) {
  const bool formula = !v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@');
  const bool quote = formula || v.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) {
    out += v;
    return;
  }
  out += '"';
  if (formula) out += '\'';
  for (char ch : v) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
}

void append_outcomes_csv(std::string& out, const std::vector<store::broadcasts::outcome_row>& rows) {
  for (const auto& r : rows) {
    csv_field(out, r.message_id);
    out += ',';
    csv_field(out, r.peer);
    out += ',';
    csv_field(out, r.status);
    out += ',';
    csv_field(out, r.wamid.value_or(""));
    out += ',';
    if (r.error_code) out += std::to_string(*r.error_code);
    out += ',';
    csv_field(out, r.error_title);
    out += ',';
    out += std::to_string(r.updated_at);
    out += "\r\n";
  }
}

net::awaitable<boost::system::result<bool>> outcome_export::next(std::shared_ptr<outcome_export> self,
                                                                 std::string& chunk) {
  chunk.clear();
  if (self->header_) {
    chunk = outcomes_csv_header;
    self->header_ = false;
  }
  std::vector<store::broadcasts::outcome_row> rows;
  const std::string bid = self->broadcast_id_;
  const auto after = self->after_;
  auto fn = [&](store::connection& c) { return store::broadcasts::outcomes(c, bid, after, export_page_rows, rows); };
  auto ec = co_await self->db_.read(fn);
  if (ec) co_return boost::system::result<bool>(boost::system::in_place_error, ec);
  append_outcomes_csv(chunk, rows);
  if (!rows.empty()) self->after_ = rows.back().seq;
  co_return rows.size() == export_page_rows;
}

}  // namespace enfinito::broadcasts
