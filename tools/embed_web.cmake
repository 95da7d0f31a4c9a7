# Embeds the web app (daemon/web/) into a C++ source: one table of {path, content type, bytes,
# gzip bytes, strong ETags} read by daemon/lib/web/static_files.cpp.
#
# Usage: cmake -DSRC=daemon/web -DOUT=web_files.cpp -DWORK=dir [-DGZIP=/usr/bin/gzip] -P embed_web.cmake
#
# - Files: every file under SRC whose name ends in one of the served extensions (below), at any
#   depth; anything else there (notes, editor files) is not shipped.
# - The bundle hash: the first 12 hex digits of a SHA-256 over the sorted (path, SHA-256 of
#   content) pairs, so any change to any file gives every asset a new URL
#   (/assets/<hash>/<path>) and browsers may cache them forever.
# - index.html is the one page not under /assets/: its `"/assets/` references are rewritten to
#   `"/assets/<hash>/` here, so the page always loads the matching bundle.
# - gzip -9 -n (no name, no time stamp: reproducible) when gzip is given and the result is
#   smaller; png/ico are stored as they are (already compressed).
# - Bytes are written as numeric arrays, so binary files embed byte-exact.
cmake_minimum_required(VERSION 3.25)

set(served_ext "\\.(html|js|css|svg|png|ico|json|txt|webmanifest)$")
file(GLOB_RECURSE all RELATIVE ${SRC} ${SRC}/*)
set(files)
foreach(f IN LISTS all)
  if(f MATCHES "${served_ext}" AND NOT f MATCHES "(^|/)\\.")
    list(APPEND files ${f})
  endif()
endforeach()
list(SORT files)

# The bundle hash over (path, content hash) pairs.
set(manifest "")
foreach(f IN LISTS files)
  file(SHA256 ${SRC}/${f} h)
  string(APPEND manifest "${f}\n${h}\n")
endforeach()
string(SHA256 bundle "${manifest}")
string(SUBSTRING ${bundle} 0 12 bundle)

function(content_type path out)
  if(path MATCHES "\\.html$")
    set(t "text/html; charset=utf-8")
  elseif(path MATCHES "\\.js$")
    set(t "text/javascript; charset=utf-8")
  elseif(path MATCHES "\\.css$")
    set(t "text/css; charset=utf-8")
  elseif(path MATCHES "\\.svg$")
    set(t "image/svg+xml")
  elseif(path MATCHES "\\.png$")
    set(t "image/png")
  elseif(path MATCHES "\\.ico$")
    set(t "image/x-icon")
  elseif(path MATCHES "\\.webmanifest$")
    set(t "application/manifest+json")
  elseif(path MATCHES "\\.json$")
    set(t "application/json")
  else()
    set(t "text/plain; charset=utf-8")
  endif()
  set(${out} "${t}" PARENT_SCOPE)
endfunction()

# `file(READ ... HEX)` → "0x..,0x..," (an empty file gives an empty list).
function(hex_array file out)
  file(READ ${file} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  # Line breaks every 32 bytes keep the generated file readable by compilers and people.
  string(REGEX REPLACE "((0x..,){32})" "\\1\n" hex "${hex}")
  set(${out} "${hex}" PARENT_SCOPE)
endfunction()

file(MAKE_DIRECTORY ${WORK})
set(arrays "")
set(table "")
set(i 0)
foreach(f IN LISTS files)
  set(input ${SRC}/${f})
  if(f STREQUAL "index.html")
    file(READ ${input} text)
    string(REPLACE "\"/assets/" "\"/assets/${bundle}/" text "${text}")
    set(input ${WORK}/index.html)
    file(WRITE ${input} "${text}")
  endif()
  file(SHA256 ${input} h)
  string(SUBSTRING ${h} 0 20 etag)
  file(SIZE ${input} size)
  hex_array(${input} raw)
  string(APPEND arrays "const unsigned char f${i}[] = {\n${raw}0};\n")
  set(gz_size 0)
  if(GZIP AND NOT f MATCHES "\\.(png|ico)$" AND size GREATER 0)
    execute_process(COMMAND ${GZIP} -9 -n -c ${input} OUTPUT_FILE ${WORK}/f${i}.gz RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "gzip failed on ${input}")
    endif()
    file(SIZE ${WORK}/f${i}.gz gz_size)
    if(gz_size LESS size)
      hex_array(${WORK}/f${i}.gz gz)
      string(APPEND arrays "const unsigned char g${i}[] = {\n${gz}0};\n")
    else()
      set(gz_size 0)
    endif()
  endif()
  if(gz_size EQUAL 0)
    string(APPEND arrays "const unsigned char g${i}[] = {0};\n")
  endif()
  content_type(${f} type)
  string(APPEND table "    {\"${f}\", \"${type}\", f${i}, ${size}, g${i}, ${gz_size}, \"\\\"${etag}\\\"\", \"\\\"${etag}.gz\\\"\"},\n")
  math(EXPR i "${i} + 1")
endforeach()
if(i EQUAL 0)
  # No app yet: an empty table (the daemon then answers the JSON 404 at /).
  set(table "    {\"\", \"\", nullptr, 0, nullptr, 0, \"\", \"\"},\n")
endif()

set(cpp "// Generated from daemon/web/ by tools/embed_web.cmake; do not edit.\n")
string(APPEND cpp "#include \"web/embedded.hpp\"\n\n")
string(APPEND cpp "namespace enfinito::web::detail {\n")
string(APPEND cpp "namespace {\n${arrays}}  // namespace\n")
string(APPEND cpp "const embedded_file embedded_files[] = {\n${table}};\n")
string(APPEND cpp "const std::size_t embedded_file_count = ${i};\n")
string(APPEND cpp "const std::string_view embedded_bundle = \"${bundle}\";\n")
string(APPEND cpp "}  // namespace enfinito::web::detail\n")

# Written only when it changed, so an unchanged app does not recompile.
set(old "")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT old STREQUAL cpp)
  file(WRITE ${OUT} "${cpp}")
endif()
