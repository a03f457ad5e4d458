# `cmake --install build [--prefix P]` (DESTDIR too): zfpm, its private PHP and its configuration,
# laid out so that the tree runs wherever it is installed (docs/deploying.md):
#
#   P/sbin/zfpm, P/bin/zfpm-load                 RPATH $ORIGIN/../lib/zfpm
#   P/bin/zfpm-ext                               builds extensions for it (docs/extensions.md)
#   P/lib/zfpm/libphp.so                         zfpm's ZTS libphp
#   P/lib/zfpm/extensions/opcache.so             its extension_dir
#   P/lib/zfpm/php/{bin,include,lib/php}         PHP's CLI, php-config, phpize, headers, build files
#   P/share/zfpm/php.ini-{production,development}
#   ZFPM_CONFDIR/{php-fpm.conf,zfpm.toml}, ZFPM_POOL_DIR/www.conf, ZFPM_PHP_INI_DIR/{php.ini,conf.d}
#
# The binary finds the library and configuration folders relative to itself (install_layout.hpp);
# those relative paths are fixed here, at configure time. A folder given as an absolute path (the
# default /etc/zfpm when the prefix is /usr) stays where it is whatever --prefix says.
include(GNUInstallDirs)

if(CMAKE_INSTALL_FULL_SYSCONFDIR STREQUAL "/etc")
  set(zfpm_default_confdir "/etc/zfpm")
else()
  set(zfpm_default_confdir "${CMAKE_INSTALL_SYSCONFDIR}/zfpm")
endif()
set(ZFPM_CONFDIR "${zfpm_default_confdir}" CACHE STRING
    "php-fpm.conf and zfpm.toml: relative to the install prefix, or absolute")
set(ZFPM_POOL_DIR "${ZFPM_CONFDIR}/pool.d" CACHE STRING "the pool files php-fpm.conf includes")
set(ZFPM_PHP_INI_DIR "${ZFPM_CONFDIR}" CACHE STRING "php.ini, and conf.d/ scanned for *.ini")
set(ZFPM_DEFAULT_LISTEN "127.0.0.1:9000" CACHE STRING "listen = of the installed www pool")
set(ZFPM_DEFAULT_ERROR_LOG "/proc/self/fd/2" CACHE STRING "error_log = of the installed php-fpm.conf")
set(ZFPM_DEFAULT_PID "" CACHE STRING "pid = of the installed php-fpm.conf (none when empty)")
set(zfpm_lib_dir "lib/zfpm")

# A folder's path as seen from the folder `from` (both relative to the prefix, or absolute).
function(zfpm_path_from out from dir)
  foreach(var from dir)
    if(IS_ABSOLUTE "${${var}}")
      set(${var}_abs "${${var}}")
    else()
      set(${var}_abs "${CMAKE_INSTALL_PREFIX}/${${var}}")
    endif()
  endforeach()
  file(RELATIVE_PATH relative "${from_abs}" "${dir_abs}")
  set(${out} "${relative}" PARENT_SCOPE)
endfunction()

if(CMAKE_INSTALL_FULL_LOCALSTATEDIR STREQUAL "/var")
  set(zfpm_localstatedir "/var")
else()
  set(zfpm_localstatedir "${CMAKE_INSTALL_LOCALSTATEDIR}")
endif()
zfpm_path_from(zfpm_prefix_from_sbin "${CMAKE_INSTALL_SBINDIR}" ".")
zfpm_path_from(zfpm_localstate_from_sbin "${CMAKE_INSTALL_SBINDIR}" "${zfpm_localstatedir}")
zfpm_path_from(zfpm_lib_from_sbin "${CMAKE_INSTALL_SBINDIR}" "${zfpm_lib_dir}")
zfpm_path_from(zfpm_lib_from_bin "${CMAKE_INSTALL_BINDIR}" "${zfpm_lib_dir}")
zfpm_path_from(zfpm_conf_from_sbin "${CMAKE_INSTALL_SBINDIR}" "${ZFPM_CONFDIR}")
zfpm_path_from(zfpm_ini_from_sbin "${CMAKE_INSTALL_SBINDIR}" "${ZFPM_PHP_INI_DIR}")
# On the one file that reads them: a tree configured for another prefix (the package's) then
# compiles every other file as build/ does, and ccache has them already.
set_property(SOURCE src/cli/install_layout.cpp APPEND PROPERTY COMPILE_DEFINITIONS
  ZFPM_INSTALL_PREFIX_DIR="${zfpm_prefix_from_sbin}"
  ZFPM_INSTALL_LOCALSTATE_DIR="${zfpm_localstate_from_sbin}"
  ZFPM_INSTALL_LIB_DIR="${zfpm_lib_from_sbin}"
  ZFPM_INSTALL_CONFIG_DIR="${zfpm_conf_from_sbin}"
  ZFPM_INSTALL_PHP_INI_DIR="${zfpm_ini_from_sbin}")

set_target_properties(zfpm PROPERTIES INSTALL_RPATH "$ORIGIN/${zfpm_lib_from_sbin}")
set_target_properties(zfpm-load PROPERTIES INSTALL_RPATH "$ORIGIN/${zfpm_lib_from_bin}")
install(TARGETS zfpm RUNTIME DESTINATION "${CMAKE_INSTALL_SBINDIR}")
install(TARGETS zfpm-load RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(PROGRAMS tools/ext/zfpm-ext DESTINATION "${CMAKE_INSTALL_BINDIR}")

# libphp under the name the binary asks for (its SONAME), whatever the prefix's file is called.
get_filename_component(zfpm_php_library_file "${PHP_LIBRARY}" REALPATH)
execute_process(COMMAND objdump -p "${zfpm_php_library_file}" OUTPUT_VARIABLE zfpm_php_dynamic
                COMMAND_ERROR_IS_FATAL ANY)
if(zfpm_php_dynamic MATCHES "SONAME +([^\n ]+)")
  set(zfpm_php_soname "${CMAKE_MATCH_1}")
else()
  get_filename_component(zfpm_php_soname "${PHP_LIBRARY}" NAME)
endif()
install(FILES "${zfpm_php_library_file}" DESTINATION "${zfpm_lib_dir}" RENAME "${zfpm_php_soname}")
if(NOT zfpm_php_soname STREQUAL "libphp.so")
  install(CODE "file(CREATE_LINK \"${zfpm_php_soname}\"
    \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${zfpm_lib_dir}/libphp.so\" SYMBOLIC)")
endif()
install(FILES "${PHP_EXTENSION_DIR}/opcache.so" DESTINATION "${zfpm_lib_dir}/extensions")

# PHP's CLI and what phpize needs to build an extension against this PHP (zfpm-ext).
install(PROGRAMS "${PHP_PREFIX}/bin/php" DESTINATION "${zfpm_lib_dir}/php/bin")
install(DIRECTORY "${PHP_PREFIX}/include/php" DESTINATION "${zfpm_lib_dir}/php/include")
# phpize's build files (Debian's layout: lib/php/<API>/build), without the library and extensions.
install(DIRECTORY "${PHP_PREFIX}/lib/php/" DESTINATION "${zfpm_lib_dir}/php/lib/php"
        USE_SOURCE_PERMISSIONS PATTERN "libphp*" EXCLUDE PATTERN "extensions" EXCLUDE
        PATTERN "php.ini-*" EXCLUDE)
install(FILES "${PHP_PREFIX}/lib/php/php.ini-production" "${PHP_PREFIX}/lib/php/php.ini-development"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/zfpm")

# `cmake --install --strip` (and cpack, CPACK_STRIP_FILES) strips the targets; PHP's files too
# (libphp.so and the CLI are built with -g: about 50 MB each, a quarter of that stripped).
install(CODE "
  if(CMAKE_INSTALL_DO_STRIP)
    foreach(file ${zfpm_lib_dir}/${zfpm_php_soname} ${zfpm_lib_dir}/extensions/opcache.so
                 ${zfpm_lib_dir}/php/bin/php)
      execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-unneeded
                      \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/\${file}\" COMMAND_ERROR_IS_FATAL ANY)
    endforeach()
  endif()
")

# php-config, phpize and the configuration files, written at install time for the final prefix.
install(CODE "
  set(ZFPM_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")
  set(ZFPM_PHP_PREFIX \"${PHP_PREFIX}\")
  set(ZFPM_PHP_EXTENSION_DIR \"${PHP_EXTENSION_DIR}\")
  set(ZFPM_LIB_DIR \"${zfpm_lib_dir}\")
  set(ZFPM_DATA_DIR \"${CMAKE_INSTALL_DATADIR}/zfpm\")
  set(ZFPM_CONFDIR \"${ZFPM_CONFDIR}\")
  set(ZFPM_POOL_DIR \"${ZFPM_POOL_DIR}\")
  set(ZFPM_PHP_INI_DIR \"${ZFPM_PHP_INI_DIR}\")
  set(ZFPM_LISTEN \"${ZFPM_DEFAULT_LISTEN}\")
  set(ZFPM_ERROR_LOG \"${ZFPM_DEFAULT_ERROR_LOG}\")
  set(ZFPM_PID \"${ZFPM_DEFAULT_PID}\")
  include(\"${PROJECT_SOURCE_DIR}/cmake/install_files.cmake\")
")
