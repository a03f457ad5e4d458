# Runs at install time (install(CODE) in cmake/install.cmake), when the prefix is known:
# php-config and phpize rewritten for the installed PHP, and the configuration files, which are
# written only where none exists yet, so that an install over an earlier one keeps the user's.
set(prefix "${CMAKE_INSTALL_PREFIX}")
set(destdir "$ENV{DESTDIR}")

# A folder of the install (relative to the prefix, or absolute) as the installed tree sees it.
function(zfpm_full out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "${prefix}/${dir}" PARENT_SCOPE)
  endif()
endfunction()

zfpm_full(php_dir "${ZFPM_LIB_DIR}/php")
zfpm_full(extension_dir "${ZFPM_LIB_DIR}/extensions")
zfpm_full(ZFPM_CONFIG_DIR_FULL "${ZFPM_CONFDIR}")
zfpm_full(ZFPM_POOL_DIR_FULL "${ZFPM_POOL_DIR}")
zfpm_full(ZFPM_PHP_INI_DIR_FULL "${ZFPM_PHP_INI_DIR}")
zfpm_full(data_dir "${ZFPM_DATA_DIR}")

# php-config and phpize name the prefix PHP was built in: the build cache. The installed ones
# name the installed headers, build files, CLI, extension and ini folders.
foreach(tool php-config phpize)
  file(READ "${ZFPM_PHP_PREFIX}/bin/${tool}" text)
  string(REPLACE "${ZFPM_PHP_PREFIX}/etc/conf.d" "${ZFPM_PHP_INI_DIR_FULL}/conf.d" text "${text}")
  string(REPLACE "${ZFPM_PHP_PREFIX}/etc" "${ZFPM_PHP_INI_DIR_FULL}" text "${text}")
  string(REPLACE "${ZFPM_PHP_EXTENSION_DIR}" "${extension_dir}" text "${text}")
  string(REPLACE "${ZFPM_PHP_PREFIX}" "${php_dir}" text "${text}")
  set(target "${destdir}${php_dir}/bin/${tool}")
  message(STATUS "Installing: ${target}")
  file(WRITE "${target}" "${text}")
  file(CHMOD "${target}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
       GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endforeach()

function(zfpm_install_config target text)
  if(EXISTS "${destdir}${target}")
    message(STATUS "Up-to-date (kept, it may hold your changes): ${destdir}${target}")
    return()
  endif()
  message(STATUS "Installing: ${destdir}${target}")
  file(WRITE "${destdir}${target}" "${text}")
endfunction()

# php-fpm takes a relative include= from its install prefix, and so does an installed zfpm: a pool
# folder inside the prefix stays relative, so that the tree still finds its pools once moved.
set(ZFPM_POOL_INCLUDE "${ZFPM_POOL_DIR}")
if(ZFPM_PID)
  set(ZFPM_PID_LINE "pid = ${ZFPM_PID}")
else()
  set(ZFPM_PID_LINE "; pid = /run/zfpm/zfpm.pid")
endif()
file(READ "${ZFPM_SOURCE_DIR}/deploy/etc/php-fpm.conf.in" text)
string(CONFIGURE "${text}" text @ONLY)
zfpm_install_config("${ZFPM_CONFIG_DIR_FULL}/php-fpm.conf" "${text}")
file(READ "${ZFPM_SOURCE_DIR}/deploy/etc/www.conf.in" text)
string(CONFIGURE "${text}" text @ONLY)
zfpm_install_config("${ZFPM_POOL_DIR_FULL}/www.conf" "${text}")
# zfpm.toml: the commented reference of config/, with this install's listen and log.
file(READ "${ZFPM_SOURCE_DIR}/config/zfpm.toml" text)
string(REPLACE "listen.address = \"127.0.0.1:9000\"" "listen.address = \"${ZFPM_LISTEN}\"" text
       "${text}")
string(REPLACE "error_log = \"/proc/self/fd/2\"" "error_log = \"${ZFPM_ERROR_LOG}\"" text "${text}")
zfpm_install_config("${ZFPM_CONFIG_DIR_FULL}/zfpm.toml" "${text}")
# php.ini: PHP's production settings, as a php-fpm host has them.
file(READ "${ZFPM_PHP_PREFIX}/lib/php/php.ini-production" text)
zfpm_install_config("${ZFPM_PHP_INI_DIR_FULL}/php.ini" "${text}")
file(MAKE_DIRECTORY "${destdir}${ZFPM_PHP_INI_DIR_FULL}/conf.d")
