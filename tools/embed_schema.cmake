# Turns schema.sql into a C++ source defining enfinito::store::detail::schema_sql.
file(READ ${IN} SQL)
file(WRITE ${OUT} "// Generated from schema.sql; do not edit.\n#include <string_view>\nnamespace enfinito::store::detail {\nextern const std::string_view schema_sql;\nconst std::string_view schema_sql = R\"ENFINITO_SQL(${SQL})ENFINITO_SQL\";\n}\n")
