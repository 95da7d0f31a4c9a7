#pragma once
// The table tools/embed_web.cmake generates from daemon/web/ at build time (web_files.cpp in
// the build tree). Only web/static_files.cpp reads it.
#include <cstddef>
#include <string_view>

namespace enfinito::web::detail {

struct embedded_file {
  const char* path;  // relative to daemon/web/, e.g. "lib/api.js"; "index.html" is the page
  const char* content_type;
  const unsigned char* bytes;
  std::size_t size;
  const unsigned char* gzip;  // gzip -9 -n of `bytes`; gzip_size 0: not worth it (or no gzip)
  std::size_t gzip_size;
  const char* etag;  // strong, quoted; one per representation
  const char* etag_gzip;
};

extern const embedded_file embedded_files[];
extern const std::size_t embedded_file_count;
extern const std::string_view embedded_bundle;  // 12 hex digits; part of every asset URL

}  // namespace enfinito::web::detail
