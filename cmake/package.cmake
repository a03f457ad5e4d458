# The Debian package (scripts/package, docs/deploying.md): `cpack -G DEB` in a tree configured with
# -DCMAKE_INSTALL_PREFIX=/usr -DZFPM_PACKAGE_DEBIAN=ON. On top of the install: the systemd unit,
# its tmpfiles.d entry, /etc/default/zfpm, the logrotate snippet and the maintainer scripts.
# Runtime dependencies are computed by dpkg-shlibdeps from the binaries and libphp.
option(ZFPM_PACKAGE_DEBIAN "Install the Debian package's systemd, logrotate and default files" OFF)
if(NOT ZFPM_PACKAGE_DEBIAN)
  return()
endif()

set(zfpm_debian "${PROJECT_SOURCE_DIR}/deploy/debian")
install(FILES "${PROJECT_SOURCE_DIR}/deploy/systemd/zfpm.service" DESTINATION /lib/systemd/system)
install(FILES "${PROJECT_SOURCE_DIR}/deploy/systemd/zfpm.tmpfiles" DESTINATION /usr/lib/tmpfiles.d
        RENAME zfpm.conf)
install(FILES "${zfpm_debian}/zfpm.default" DESTINATION /etc/default RENAME zfpm)
install(FILES "${zfpm_debian}/zfpm.logrotate" DESTINATION /etc/logrotate.d RENAME zfpm)
install(FILES "${PROJECT_SOURCE_DIR}/README.md" DESTINATION "${CMAKE_INSTALL_DOCDIR}")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/docs/" DESTINATION "${CMAKE_INSTALL_DOCDIR}/docs"
        FILES_MATCHING PATTERN "*.md" PATTERN "benchmarks-history.md" EXCLUDE)

# dpkg keeps a changed configuration file across upgrades when it is listed as a conffile.
zfpm_path_from(zfpm_conf_abs "/" "${ZFPM_CONFDIR}")
zfpm_path_from(zfpm_pool_abs "/" "${ZFPM_POOL_DIR}")
zfpm_path_from(zfpm_ini_abs "/" "${ZFPM_PHP_INI_DIR}")
file(WRITE "${PROJECT_BINARY_DIR}/debian/conffiles"
  "/${zfpm_conf_abs}/php-fpm.conf\n/${zfpm_conf_abs}/zfpm.toml\n/${zfpm_pool_abs}/www.conf\n"
  "/${zfpm_ini_abs}/php.ini\n/etc/default/zfpm\n/etc/logrotate.d/zfpm\n")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME zfpm)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "zfpm developers <zfpm@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "multithreaded PHP FastCGI process manager (php-fpm drop-in)")
set(CPACK_PACKAGE_DESCRIPTION "zfpm serves PHP 8.2 over FastCGI to nginx, Caddy or Apache as
php-fpm does, with php-fpm's command line, configuration files, signals, status page and logs,
running each pool's requests on threads of one process with a thread-safe PHP of its own.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION httpd)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${zfpm_lib_dir}")
# logrotate and systemd are used when present; neither is needed to run.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nginx | caddy | apache2, logrotate")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  "${zfpm_debian}/postinst;${zfpm_debian}/prerm;${zfpm_debian}/postrm;${PROJECT_BINARY_DIR}/debian/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
# Install with DESTDIR and the real prefix, so that what install_files.cmake writes names /usr.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_STRIP_FILES ON)
include(CPack)
