#include "request_ini.hpp"

#include <spdlog/spdlog.h>

#include <cstring>
#include <string>

#include "fastcgi_log.hpp"

extern "C" {
#include <php.h>
// after php.h, which they need
#include <Zend/zend_ini.h>
#include <Zend/zend_ini_scanner.h>
}

namespace zfpm::php {
namespace {

// What the parser callback needs: PHP hands it one opaque pointer.
struct Pass {
  int mode;  // ZEND_INI_USER for PHP_VALUE, ZEND_INI_SYSTEM for PHP_ADMIN_VALUE
  RequestContext& ctx;
};

// The lines are php-fpm's (fastcgi_ini_parser); like every zlog line of a child during a request
// they also go to the web server on FCGI_STDERR (zlog's external logger). Kept out of the parser
// callback's frame: PHP calls that frame and may longjmp out of it.
void log_ini_error(RequestContext& ctx, const char* what, const char* key) noexcept {
  try {
    std::string text = std::string("Passing INI directive through FastCGI: ") + what;
    if (key) text += std::string(" '") + key + "'";
    spdlog::error("{}", text);
    log_to_web_server(ctx, text);
  } catch (...) {
  }
}

// One "key=value" line of PHP_VALUE (mode ZEND_INI_USER) or PHP_ADMIN_VALUE (ZEND_INI_SYSTEM).
// Like php-fpm, either may set any entry whatever its own changeability; an admin value also
// locks the entry against ini_set() for the rest of the request.
void on_ini_entry(zval* key, zval* value, zval*, int callback_type, void* arg) {
  auto& pass = *static_cast<Pass*>(arg);
  if (callback_type != ZEND_INI_PARSER_ENTRY) {
    log_ini_error(pass.ctx, "only classic entries are allowed", nullptr);
    return;
  }
  if (!key || Z_STRLEN_P(key) == 0) {
    log_ini_error(pass.ctx, "empty key", nullptr);
    return;
  }
  if (!value) {
    log_ini_error(pass.ctx, "empty value for key", Z_STRVAL_P(key));
    return;
  }
  // php-fpm loads extension= here, into the child for good; a thread cannot (docs/php.md).
  auto* entry = static_cast<zend_ini_entry*>(zend_hash_find_ptr(EG(ini_directives), Z_STR_P(key)));
  if (!entry) {
    log_ini_error(pass.ctx, "unable to set", Z_STRVAL_P(key));
    return;
  }
  // Set as the system would (any entry may be set), which also locks the entry at this stage
  // (zend_alter_ini_entry_ex); a PHP_VALUE unlocks it again, as php-fpm's
  // fpm_php_zend_ini_alter_master leaves it, so that .user.ini and ini_set() still apply
  // (bug75212). Both are restored at request end (zend_restore_ini_entry: orig_modifiable).
  const auto modifiable = entry->modifiable;
  if (zend_alter_ini_entry_chars(Z_STR_P(key), Z_STRVAL_P(value), Z_STRLEN_P(value),
                                 ZEND_INI_SYSTEM, ZEND_INI_STAGE_ACTIVATE) == SUCCESS) {
    entry->modifiable = pass.mode == ZEND_INI_SYSTEM ? ZEND_INI_SYSTEM : modifiable;
  }
}

void apply(RequestContext& ctx, const char* text, int mode) {
  if (!text) return;
  size_t length = std::strlen(text);
  char* ini = static_cast<char*>(emalloc(length + 2));
  std::memcpy(ini, text, length);
  ini[length] = '\n';
  ini[length + 1] = '\0';
  Pass pass{mode, ctx};
  zend_parse_ini_string(ini, true, ZEND_INI_SCANNER_NORMAL, on_ini_entry, &pass);
  efree(ini);
}

}  // namespace

void apply_request_ini(RequestContext& ctx) {
  apply(ctx, ctx.env.get("PHP_VALUE"), ZEND_INI_USER);
  apply(ctx, ctx.env.get("PHP_ADMIN_VALUE"), ZEND_INI_SYSTEM);
}

}  // namespace zfpm::php
