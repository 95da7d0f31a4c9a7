#pragma once
// The audit log's row as store::accounts (a subject's entries) and store::audit (the filtered
// search) read it: one column list and its reader (store/columns.hpp).
#include <enfinito/store/accounts.hpp>
#include <enfinito/store/connection.hpp>
#include "store/columns.hpp"

namespace enfinito::store {

inline constexpr column_list audit_cols{
    "id, COALESCE(subject_id, '') AS subject, COALESCE(actor_id, '') AS actor, action, detail, client_address, "
    "created_at"};

inline accounts::audit_entry read_audit(const statement& s) {
  accounts::audit_entry a;
  a.id = s.int64(audit_cols["id"]);
  a.subject_id = s.text(audit_cols["subject"]);
  a.actor_id = s.text(audit_cols["actor"]);
  a.action = s.text(audit_cols["action"]);
  a.detail = s.text(audit_cols["detail"]);
  a.client_address = s.text(audit_cols["client_address"]);
  a.created_at = s.int64(audit_cols["created_at"]);
  return a;
}

}  // namespace enfinito::store
