#pragma once
// ENF_PREPARE: the store's SQL files (daemon/lib/store/*.cpp only) get a cached prepared
// statement from the connection `c`, or return its error from the enclosing function:
//
//   ENF_PREPARE(s, "SELECT ... WHERE id = ?1");
//   s->bind(1, id);
#include <enfinito/store/connection.hpp>
#include <enfinito/store/error.hpp>

#define ENF_PREPARE(var, sql)                \
  core::error_code var##_ec;                 \
  statement* var = c.prepare(sql, var##_ec); \
  if (!var) return var##_ec ? var##_ec : make_error_code(error::misuse)
