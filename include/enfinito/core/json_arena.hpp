#pragma once
/**
 * @file An arena for parsing one JSON text that is read once and dropped.
 *
 * A request body or a Graph API answer lives for one request: parsing it into one monotonic
 * arena, released with the value, replaces a malloc per string, array and object (a tenth of
 * the mallocs of a send). The first block is sized from the text, capped at 64 KiB: past that
 * the arena grows by blocks, so a large text does not reserve twice its size up front.
 */
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/storage_ptr.hpp>

#include <algorithm>
#include <cstddef>

namespace enfinito::core {

inline boost::json::storage_ptr json_arena_for(std::size_t text_bytes) {
  const std::size_t first_block = std::min<std::size_t>(text_bytes * 2 + 256, 64 * 1024);
  return boost::json::make_shared_resource<boost::json::monotonic_resource>(first_block);
}

}  // namespace enfinito::core
