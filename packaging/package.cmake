# The operator's package: install() rules for everything beside the binaries (daemon/ installs
# those) and CPack's DEB generator. From a release build:
#   cmake --preset release -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON  (else cpack builds every target)
#   cmake --build --preset release --target enfinitod enfinitoctl enfinito_default_config
#   cd build/release && cpack -G DEB        -> enfinito_<version>_amd64.deb
# tests/package/run.sh builds, installs, runs and removes it (CI: tools/dev package-test).
# Layout (the unit in systemd/ names these paths):
#   /usr/bin/enfinitod, /usr/bin/enfinitoctl
#   /usr/lib/systemd/system/enfinitod.service, /usr/lib/sysusers.d/enfinitod.conf,
#   /usr/lib/tmpfiles.d/enfinitod.conf
#   /etc/enfinito/enfinitod.toml (conffile)       /etc/enfinito/credentials/ (postinst: keys)
#   /var/lib/enfinitod/ (database), /var/lib/enfinitod/backups/ (pre-upgrade backups)

# The default configuration, generated from the daemon's key table so it cannot drift from
# config/settings.cpp; a CTest test checks the daemon accepts it with every setting switched on.
set(ENFINITO_DEFAULT_CONFIG ${CMAKE_BINARY_DIR}/packaging/enfinitod.toml)
add_custom_command(
  OUTPUT ${ENFINITO_DEFAULT_CONFIG}
  COMMAND ${CMAKE_COMMAND} -DDAEMON=$<TARGET_FILE:enfinitod> -DOUT=${ENFINITO_DEFAULT_CONFIG}
          -P ${PROJECT_SOURCE_DIR}/packaging/default_config.cmake
  DEPENDS enfinitod ${PROJECT_SOURCE_DIR}/packaging/default_config.cmake
  COMMENT "Generating the package's default enfinitod.toml from enfinitod --help")
add_custom_target(enfinito_default_config ALL DEPENDS ${ENFINITO_DEFAULT_CONFIG})
if(BUILD_TESTING)
  add_test(NAME package_default_config
           COMMAND ${CMAKE_COMMAND} -DDAEMON=$<TARGET_FILE:enfinitod> -DCONFIG=${ENFINITO_DEFAULT_CONFIG}
                   -DWORK=${CMAKE_BINARY_DIR}/packaging/check
                   -P ${PROJECT_SOURCE_DIR}/packaging/check_default_config.cmake)
  set_tests_properties(package_default_config PROPERTIES LABELS unit TIMEOUT 60)
endif()

install(FILES ${ENFINITO_DEFAULT_CONFIG} DESTINATION /etc/enfinito
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/enfinitod.service DESTINATION /usr/lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/enfinitod.sysusers DESTINATION /usr/lib/sysusers.d
        RENAME enfinitod.conf)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/debian/enfinitod.tmpfiles DESTINATION /usr/lib/tmpfiles.d
        RENAME enfinitod.conf)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/operations.md
        DESTINATION share/doc/enfinito)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/README.md DESTINATION share/doc/enfinito RENAME systemd.md)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME enfinito)
set(CPACK_PACKAGE_VENDOR "Enfinito")
set(CPACK_PACKAGE_CONTACT "Enfinito operators <ops@enfinito.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "multi-tenant WhatsApp Business API gateway (enfinitod)")
set(CPACK_PACKAGE_DESCRIPTION "One C++20 daemon in front of Meta's WhatsApp Cloud API: sign-up and \
approval, encrypted credentials, API keys, a REST and a Graph-compatible API, a live feed and \
signed webhooks.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# The binaries ship without their debug information (RelWithDebInfo keeps it for profiling
# in the build tree): ~10x smaller.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # enfinito_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies come from the binaries (dpkg-shlibdeps, package dpkg-dev: libqrencode4
# for the TOTP enrolment's QR code among them); the
# maintainer scripts need a way to make the user (systemd-sysusers, else adduser) and runuser
# (util-linux, essential).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd | adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd, sqlite3")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
