#pragma once
// column_list: a row type's SELECT list, declared once, from which its reader takes each column
// by name. The index of a name is found at compile time (a name that is not in the list, or is
// in it twice, does not compile), so adding, removing or reordering a column cannot leave the
// reads out of step with the list; and the SQL text is the literal as written, at no cost.
//
//   constexpr column_list media_cols{"id, m.instance_id, COALESCE(size, 0) AS size"};
//   ENF_PREPARE(s, std::string("SELECT ") + media_cols.sql() + " FROM media_files m WHERE ...");
//   f.instance_id = s->text(media_cols["instance_id"]);
//   f.size = s->int64(media_cols["size"]);
//
// An item's name is its alias (`... AS name`), else a plain column's name without its table
// (`m.instance_id` is `instance_id`), else the item's whole text (`COALESCE(a, '')`).
#include <string_view>

namespace enfinito::store {

class column_list {
 public:
  consteval explicit column_list(const char* sql) : sql_(sql) {}

  /** The list as written, for the SELECT. */
  constexpr const char* sql() const noexcept { return sql_; }

  /** Does this list begin with all of `prefix`'s items (so that `prefix`'s reader reads it too)? */
  consteval bool extends(const column_list& prefix) const {
    const std::string_view mine(sql_), theirs(prefix.sql_);
    return mine.starts_with(theirs) && (mine.size() == theirs.size() || mine.substr(theirs.size()).starts_with(","));
  }

  /** The index of the item named `name` (a constant: use it where the statement wants a column). */
  consteval int operator[](std::string_view name) const {
    std::string_view rest(sql_);
    int found = -1;
    for (int index = 0; !rest.empty(); ++index) {
      if (name_of(next_item(rest)) != name) continue;
      if (found >= 0) not_a_constant_expression();  // the name is ambiguous: give one an alias
      found = index;
    }
    if (found < 0) not_a_constant_expression();  // the name is not in the list
    return found;
  }

 private:
  // Not constexpr: reaching it makes operator[] fail to compile, which is the point.
  static void not_a_constant_expression() {}

  static constexpr std::string_view trim(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
  }

  // The next item up to a comma outside parentheses and quotes; `rest` moves past it.
  static constexpr std::string_view next_item(std::string_view& rest) {
    int depth = 0;
    bool quoted = false;
    std::size_t i = 0;
    for (; i < rest.size(); ++i) {
      const char ch = rest[i];
      if (ch == '\'') quoted = !quoted;
      if (quoted) continue;
      if (ch == '(') ++depth;
      if (ch == ')') --depth;
      if (ch == ',' && depth == 0) break;
    }
    const auto item = trim(rest.substr(0, i));
    rest = i < rest.size() ? rest.substr(i + 1) : std::string_view{};
    return item;
  }

  static constexpr bool plain(std::string_view s) {
    for (char ch : s)
      if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.'))
        return false;
    return true;
  }

  static constexpr std::string_view name_of(std::string_view item) {
    for (std::string_view as : {" AS ", " as "})
      if (auto at = item.rfind(as); at != std::string_view::npos) return trim(item.substr(at + as.size()));
    if (plain(item)) {
      if (auto dot = item.rfind('.'); dot != std::string_view::npos) return item.substr(dot + 1);
    }
    return item;
  }

  const char* sql_;
};

}  // namespace enfinito::store
