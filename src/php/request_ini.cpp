#include "request_ini.hpp"

#include <spdlog/spdlog.h>

#include <cstring>

extern "C" {
#include <php.h>
// after php.h, which they need
#include <Zend/zend_ini.h>
#include <Zend/zend_ini_scanner.h>
}

namespace zfpm::php {
namespace {

// The log lines are php-fpm's (fastcgi_ini_parser). Kept out of the parser callback's frame:
// PHP calls that frame and may longjmp out of it.
void log_ini_error(const char* what, const char* key) noexcept {
  try {
    if (key) {
      spdlog::error("Passing INI directive through FastCGI: {} '{}'", what, key);
    } else {
      spdlog::error("Passing INI directive through FastCGI: {}", what);
    }
  } catch (...) {
  }
}

// One "key=value" line of PHP_VALUE (mode ZEND_INI_USER) or PHP_ADMIN_VALUE (ZEND_INI_SYSTEM).
// Like php-fpm, either may set any entry whatever its own changeability; an admin value also
// locks the entry against ini_set() for the rest of the request.
void on_ini_entry(zval* key, zval* value, zval*, int callback_type, void* arg) {
  int mode = *static_cast<int*>(arg);
  if (callback_type != ZEND_INI_PARSER_ENTRY) {
    log_ini_error("only classic entries are allowed", nullptr);
    return;
  }
  if (!key || Z_STRLEN_P(key) == 0) {
    log_ini_error("empty key", nullptr);
    return;
  }
  if (!value) {
    log_ini_error("empty value for key", Z_STRVAL_P(key));
    return;
  }
  // php-fpm loads extension= here, into the child for good; a thread cannot (docs/php.md).
  auto* entry = static_cast<zend_ini_entry*>(zend_hash_find_ptr(EG(ini_directives), Z_STR_P(key)));
  if (!entry) {
    log_ini_error("unable to set", Z_STRVAL_P(key));
    return;
  }
  if (zend_alter_ini_entry_chars(Z_STR_P(key), Z_STRVAL_P(value), Z_STRLEN_P(value),
                                 ZEND_INI_SYSTEM, ZEND_INI_STAGE_ACTIVATE) == SUCCESS &&
      mode == ZEND_INI_SYSTEM) {
    // Restored with the value at request end (zend_restore_ini_entry: orig_modifiable).
    entry->modifiable = ZEND_INI_SYSTEM;
  }
}

void apply(const char* text, int mode) {
  if (!text) return;
  size_t length = std::strlen(text);
  char* ini = static_cast<char*>(emalloc(length + 2));
  std::memcpy(ini, text, length);
  ini[length] = '\n';
  ini[length + 1] = '\0';
  zend_parse_ini_string(ini, true, ZEND_INI_SCANNER_NORMAL, on_ini_entry, &mode);
  efree(ini);
}

}  // namespace

void apply_request_ini(RequestContext& ctx) {
  apply(ctx.env.get("PHP_VALUE"), ZEND_INI_USER);
  apply(ctx.env.get("PHP_ADMIN_VALUE"), ZEND_INI_SYSTEM);
}

}  // namespace zfpm::php
