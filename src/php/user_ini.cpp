#include "user_ini.hpp"

#include <strings.h>

#include <cstring>
#include <ctime>
#include <memory>
#include <string_view>

#include "user_ini_cache.hpp"

extern "C" {
#include <php.h>
// after php.h, which they need
#include <Zend/zend_ini.h>
#include <Zend/zend_ini_scanner.h>
#include <main/SAPI.h>
#include <main/php_ini.h>
}

namespace zfpm::php::user_ini {
namespace {

UserIniCache cache_;
// The settings this thread's request applies; kept here, not in a frame PHP may longjmp across.
thread_local std::shared_ptr<const UserIniSettings> active_;
// What the parser callbacks collect during a scan.
thread_local UserIniSettings scanned_;

// These helpers run no PHP code: they may own C++ objects, and must not throw.
bool find_cached(const char* directory, std::size_t length, std::time_t now) noexcept {
  try {
    active_ = cache_.find(std::string_view(directory, length), now);
  } catch (...) {
    active_ = nullptr;
  }
  return active_ != nullptr;
}

void start_scan() noexcept { scanned_.clear(); }

// A later line for the same name replaces the value where the name first appeared, as in the
// hash php-fpm collects them in.
void remember(const char* name, std::size_t name_length, const char* value,
              std::size_t value_length) noexcept {
  try {
    std::string_view key(name, name_length);
    for (auto& setting : scanned_) {
      if (setting.first == key) {
        setting.second.assign(value, value_length);
        return;
      }
    }
    scanned_.emplace_back(std::string(key), std::string(value, value_length));
  } catch (...) {
  }
}

void store_scan(const char* directory, std::size_t length, std::time_t now,
                std::time_t ttl) noexcept {
  try {
    active_ = cache_.store(std::string_view(directory, length), now, ttl, std::move(scanned_));
  } catch (...) {
    active_ = nullptr;
  }
  scanned_.clear();
}

// One file's parse: once a [PATH=…] or [HOST=…] section starts, php.ini's parser files the rest
// of the file under that section, which a .user.ini never applies.
struct FileScan {
  bool in_special_section = false;
};

bool is_special_section(const zval* name) {
  if (Z_STRLEN_P(name) <= 4) return false;
  return strncasecmp(Z_STRVAL_P(name), "PATH", 4) == 0 ||
         strncasecmp(Z_STRVAL_P(name), "HOST", 4) == 0;
}

// main/php_ini.c: php_ini_parser_cb, as far as a .user.ini is concerned: plain entries count,
// extension= lines and name[] arrays are never applied. Unlike it, no process-wide state: worker
// threads scan at the same time.
void on_entry(zval* name, zval* value, zval*, int callback_type, void* arg) {
  auto& scan = *static_cast<FileScan*>(arg);
  if (callback_type == ZEND_INI_PARSER_SECTION) {
    if (is_special_section(name)) scan.in_special_section = true;
    return;
  }
  if (callback_type != ZEND_INI_PARSER_ENTRY || !value || scan.in_special_section) return;
  if (zend_string_equals_literal_ci(Z_STR_P(name), "extension") ||
      zend_string_equals_literal_ci(Z_STR_P(name), "zend_extension")) {
    return;
  }
  remember(Z_STRVAL_P(name), Z_STRLEN_P(name), Z_STRVAL_P(value), Z_STRLEN_P(value));
}

// main/php_ini.c: php_parse_user_ini_file, with on_entry.
void scan_file(const char* directory) {
  char file[MAXPATHLEN];
  snprintf(file, sizeof file, "%s%c%s", directory, DEFAULT_SLASH, PG(user_ini_filename));
  zend_stat_t st{};
  if (VCWD_STAT(file, &st) != 0 || !S_ISREG(st.st_mode)) return;
  zend_file_handle handle;
  zend_stream_init_fp(&handle, VCWD_FOPEN(file, "r"), file);
  if (handle.handle.fp) {
    FileScan scan;
    zend_parse_ini_file(&handle, true, ZEND_INI_SCANNER_NORMAL, on_entry, &scan);
  }
  zend_destroy_file_handle(&handle);
}

// fpm_main.c: php_cgi_ini_activate_user_config. `path` is the script's directory with a trailing
// slash, `doc_root` DOCUMENT_ROOT without one; both emalloc'd or the request's.
void scan_directories(char* path, std::size_t path_length, const char* doc_root,
                      std::size_t doc_root_length) {
  // The shorter of the two must be a prefix of the other (php-fpm's strncmp); the files are read
  // from the docroot down, each directory's overriding its parents'.
  bool longer = path_length > doc_root_length;
  const char* shorter_text = longer ? doc_root : path;
  char* longer_text = longer ? path : const_cast<char*>(doc_root);
  std::size_t shorter_length = longer ? doc_root_length : path_length;
  if (std::strncmp(shorter_text, longer_text, shorter_length) != 0) {
    scan_file(path);
    return;
  }
  if (!longer) return;  // php-fpm walks the docroot's tail here, which holds no separator
  for (char* at = std::strchr(path + doc_root_length, DEFAULT_SLASH); at;
       at = std::strchr(at + 1, DEFAULT_SLASH)) {
    *at = '\0';
    scan_file(path);
    *at = DEFAULT_SLASH;
  }
}

void activate_user_config(char* path, std::size_t path_length, const char* doc_root,
                          std::size_t doc_root_length) {
  auto now = static_cast<std::time_t>(sapi_get_request_time());
  if (!find_cached(path, path_length, now)) {
    char* directory = path;
    std::size_t directory_length = path_length;
    char real[MAXPATHLEN];
    if (!IS_ABSOLUTE_PATH(path, path_length)) {
      if (!VCWD_REALPATH(path, real)) return;
      directory = real;
      directory_length = std::strlen(real);
    }
    start_scan();
    scan_directories(directory, directory_length, doc_root, doc_root_length);
    // Cached under the path as given, as php-fpm does.
    store_scan(path, path_length, now, static_cast<std::time_t>(PG(user_ini_cache_ttl)));
  }
  const UserIniSettings* settings = active_.get();
  if (!settings) return;
  for (std::size_t i = 0; i < settings->size(); ++i) {
    const auto& [name, value] = (*settings)[i];
    zend_string* key = zend_string_init(name.data(), name.size(), false);
    zend_string* text = zend_string_init(value.data(), value.size(), false);
    zend_alter_ini_entry_ex(key, text, PHP_INI_PERDIR, PHP_INI_STAGE_HTACCESS, false);
    zend_string_release(text);
    zend_string_release(key);
  }
}

void activate_host_config(RequestContext& ctx) {
  const char* server_name = ctx.env.get("SERVER_NAME");
  if (!server_name) return;
  std::size_t length = std::strlen(server_name);
  char* host = estrndup(server_name, length);
  zend_str_tolower(host, length);
  php_ini_activate_per_host_config(host, length);
  efree(host);
}

}  // namespace

void activate(RequestContext& ctx) {
  const char* translated = SG(request_info).path_translated;
  if (!translated) return;
  if (php_ini_has_per_host_config()) activate_host_config(ctx);
  bool user_ini = PG(user_ini_filename) && *PG(user_ini_filename);
  if (!php_ini_has_per_dir_config() && !user_ini) return;

  // The script's directory, with a trailing slash.
  std::size_t length = std::strlen(translated);
  char* path = static_cast<char*>(emalloc(length + 2));
  std::memcpy(path, translated, length + 1);
  length = zend_dirname(path, length);
  path[length++] = DEFAULT_SLASH;
  path[length] = '\0';

  php_ini_activate_per_dir_config(path, length);
  const char* doc_root = user_ini ? ctx.env.get("DOCUMENT_ROOT") : nullptr;
  if (doc_root) {
    std::size_t doc_root_length = std::strlen(doc_root);
    if (doc_root_length > 0 && IS_SLASH(doc_root[doc_root_length - 1])) --doc_root_length;
    activate_user_config(path, length, doc_root, doc_root_length);
  }
  efree(path);
}

}  // namespace zfpm::php::user_ini
