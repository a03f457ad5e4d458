#include "pool_ini.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include <php.h>
// after php.h, which they need
#include <Zend/zend_ini.h>

#include <ext/standard/dl.h>
}

namespace zfpm::php::pool_ini {
namespace {

struct Define {
  std::string key;
  std::string value;
  int mode;  // ZEND_INI_USER for php_value, ZEND_INI_SYSTEM for php_admin_value
};
// In the order php-fpm applies them; written before module startup, read by the hook.
std::vector<Define> defines_;
zend_result (*chained_post_startup_)() = nullptr;

enum class Outcome { Applied, Unknown, ExtensionLoaded, ExtensionFailed };

// fpm_php.c: fpm_php_zend_ini_alter_master — the entry's own value, not a request's change, so
// nothing restores it; an admin value also locks the entry (PHP_INI_SYSTEM).
bool alter_master(const Define& define) {
  auto* entry = static_cast<zend_ini_entry*>(
      zend_hash_str_find_ptr(EG(ini_directives), define.key.data(), define.key.size()));
  if (!entry) return false;
  zend_string* value = zend_string_init(define.value.data(), define.value.size(), 1);
  if (!entry->on_modify || entry->on_modify(entry, value, entry->mh_arg1, entry->mh_arg2,
                                            entry->mh_arg3, ZEND_INI_STAGE_ACTIVATE) == SUCCESS) {
    // php-fpm leaks the value it replaces; it is ours to release (interned ones are kept).
    if (entry->value) zend_string_release_ex(entry->value, 1);
    entry->value = value;
    // A php_value keeps the entry's changeability, so .user.ini (PERDIR) may still change it.
    if (define.mode == ZEND_INI_SYSTEM) entry->modifiable = ZEND_INI_SYSTEM;
  } else {
    zend_string_release_ex(value, 1);
  }
  return true;
}

// fpm_php.c: fpm_php_disable — names separated by spaces or commas.
void disable_classes(const std::string& list) {
  std::size_t at = 0;
  while ((at = list.find_first_not_of(" ,", at)) != std::string::npos) {
    std::size_t end = list.find_first_of(" ,", at);
    if (end == std::string::npos) end = list.size();
    zend_disable_class(list.data() + at, end - at);
    at = end;
  }
}

// fpm_php.c: fpm_php_apply_defines_ex.
Outcome apply(const Define& define) {
  if (define.key == "extension" && !define.value.empty()) {
    zval loaded;
    ZVAL_UNDEF(&loaded);
    php_dl(define.value.c_str(), MODULE_PERSISTENT, &loaded, 1);
    return Z_TYPE(loaded) == IS_TRUE ? Outcome::ExtensionLoaded : Outcome::ExtensionFailed;
  }
  if (!alter_master(define)) return Outcome::Unknown;
  if (define.key == "disable_functions" && !define.value.empty()) {
    zend_disable_functions(define.value.c_str());
  } else if (define.key == "disable_classes" && !define.value.empty()) {
    std::free(PG(disable_classes));  // what phpinfo() shows; core frees it at shutdown
    PG(disable_classes) = strdup(define.value.c_str());
    disable_classes(define.value);
  }
  return Outcome::Applied;
}

void log_unknown(const Define& define) noexcept {
  try {
    spdlog::error("Unable to set {} '{}'",
                  define.mode == ZEND_INI_SYSTEM ? "php_admin_value" : "php_value", define.key);
  } catch (...) {
  }
}

// Runs at the end of module startup on the main thread (zend_post_startup), before the function,
// class and INI tables become the ones each worker thread copies.
zend_result apply_defines() {
  if (chained_post_startup_) {
    auto chained = chained_post_startup_;
    chained_post_startup_ = nullptr;
    if (chained() != SUCCESS) return FAILURE;
  }
  bool extension_loaded = false;
  for (const Define& define : defines_) {
    switch (apply(define)) {
      case Outcome::Unknown:
        log_unknown(define);
        break;
      case Outcome::ExtensionLoaded:
        extension_loaded = true;
        break;
      case Outcome::Applied:
      case Outcome::ExtensionFailed:  // php_dl has warned already
        break;
    }
  }
  if (extension_loaded) zend_collect_module_handlers();
  return SUCCESS;
}

}  // namespace

void prepare(const config::PoolConfig& pool) {
  defines_.clear();
  // php-fpm keeps each list newest first (fpm_conf.c: fpm_conf_set_array prepends) and applies it
  // from the head: the config's last line goes first, so for a key given twice the first wins.
  // php_values before php_admin_values.
  for (auto it = pool.php_value.rbegin(); it != pool.php_value.rend(); ++it) {
    defines_.push_back(Define{it->key, it->value, ZEND_INI_USER});
  }
  for (auto it = pool.php_admin_value.rbegin(); it != pool.php_admin_value.rend(); ++it) {
    defines_.push_back(Define{it->key, it->value, ZEND_INI_SYSTEM});
  }
  if (defines_.empty()) return;
  // Extensions loaded during module startup (opcache) chain the hook they find, so this runs
  // first among them, as the pool's values come first in php-fpm's child.
  chained_post_startup_ = zend_post_startup_cb;
  zend_post_startup_cb = apply_defines;
}

void clear() { defines_.clear(); }

}  // namespace zfpm::php::pool_ini
