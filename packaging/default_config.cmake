# Writes the package's /etc/enfinito/enfinitod.toml from the daemon's own key table
# (`enfinitod --help`: "section.key = default  # why (ENV)"), so the shipped file lists exactly
# the keys and defaults of the binary it ships with and cannot drift from config/settings.cpp.
# Every setting is commented out ("#key = default"): an untouched file means the built-in
# defaults, and a default changed by a later version reaches an installation that kept the file.
#   cmake -DDAEMON=path/to/enfinitod -DOUT=enfinitod.toml -P default_config.cmake
cmake_minimum_required(VERSION 3.25)
execute_process(COMMAND ${DAEMON} --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${DAEMON} --help failed (${rc})")
endif()

set(out [=[# /etc/enfinito/enfinitod.toml: the configuration of enfinitod (Debian package enfinito).
#
# Every key the daemon knows is listed below with its built-in default, commented out:
# uncomment a line to change it. This file was generated from the daemon's key table when the
# package was built; `enfinitod --help` prints the same list. Unknown keys and bad values stop
# the daemon with a message naming the key. An ENFINITO_<SECTION>_<KEY> environment variable
# overrides a key set here.
#
# Secrets never go here: the vault key, session pepper, SMTP password and Google client secret
# are files in /etc/enfinito/credentials/ (mode 0600) that systemd hands to the service
# (LoadCredential=, see /usr/lib/systemd/system/enfinitod.service).
#
# Usually changed first: [server] public_url (and listen), [tls] or a TLS proxy in front, [smtp].
# Check after editing:  enfinitod --config /etc/enfinito/enfinitod.toml --check-config
# Apply:                systemctl restart enfinitod
]=])

# One list element per line: ';' and brackets in the docs must not split or join elements.
string(REPLACE ";" "<semicolon>" help "${help}")
string(REPLACE "[" "<lbracket>" help "${help}")
string(REPLACE "]" "<rbracket>" help "${help}")
string(REPLACE "\n" ";" lines "${help}")
# Keys are grouped by section in first-seen order: a TOML table may be declared only once.
set(sections "")
set(count 0)
foreach(line IN LISTS lines)
  # The value is a quoted string without quotes inside, or a bare integer / boolean.
  if(NOT line MATCHES [[^([a-z_0-9]+)\.([a-z_0-9]+) = ("[^"]*"|[^ ]+)  # (.*) \((ENFINITO_[A-Z_0-9]+)\)$]])
    if(line MATCHES "^[a-z_0-9]+\\.[a-z_0-9]+ = ")
      message(FATAL_ERROR "cannot turn this key into TOML (a value with spaces or quotes?): ${line}")
    endif()
    continue()
  endif()
  set(sec "${CMAKE_MATCH_1}")
  if(NOT sec IN_LIST sections)
    list(APPEND sections "${sec}")
    set(body_${sec} "")
  endif()
  string(APPEND body_${sec} "# ${CMAKE_MATCH_4} (${CMAKE_MATCH_5})\n#${CMAKE_MATCH_2} = ${CMAKE_MATCH_3}\n")
  math(EXPR count "${count} + 1")
endforeach()
foreach(sec IN LISTS sections)
  string(APPEND out "\n[${sec}]\n${body_${sec}}")
endforeach()
string(REPLACE "<semicolon>" ";" out "${out}")
string(REPLACE "<lbracket>" "[" out "${out}")
string(REPLACE "<rbracket>" "]" out "${out}")
if(count LESS 10)
  message(FATAL_ERROR "${DAEMON} --help listed only ${count} keys: has its format changed?")
endif()
file(WRITE ${OUT}.tmp "${out}")
file(RENAME ${OUT}.tmp ${OUT})
