#pragma once
// Which script a request runs, and the params php-fpm rewrites on the way (fpm_main.c:
// init_request_info): the Apache proxy:fcgi:// prefix, cgi.fix_pathinfo's search for the script
// through trailing path segments into PATH_INFO (with the CVE-2019-11043 guard), SCRIPT_NAME
// trimming, PATH_TRANSLATED, the ORIG_* copies, mod_fastcgi's REDIRECT_URL, `..` refused.
// Pure but for the file system, which comes in through FileProbe so tests can fake it. No PHP.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "request_env.hpp"

namespace zfpm::php {

// The INI entries init_request_info reads.
struct PathSettings {
  bool fix_pathinfo = true;     // cgi.fix_pathinfo
  bool discard_path = false;    // cgi.discard_path
  std::string_view doc_root{};  // doc_root: DOCUMENT_ROOT when the web server sends none
};

class FileProbe {
 public:
  virtual ~FileProbe() = default;
  virtual bool is_regular_file(const std::string& path) const = 0;  // stat() + S_ISREG
  virtual bool resolves(const std::string& path) const = 0;         // realpath() succeeds
};

// The real file system.
class SystemFileProbe final : public FileProbe {
 public:
  bool is_regular_file(const std::string& path) const override;
  bool resolves(const std::string& path) const override;
};

struct RequestInfo {
  // SG(request_info).path_translated: the script to run; nullopt means 404 "File not found.".
  std::optional<std::string> script_path;
  // SG(request_info).request_uri (SCRIPT_NAME as rewritten, the base of PHP_SELF); a string owned
  // by the env, or nullptr.
  const char* request_uri = nullptr;
};

// Rewrites env as php-fpm does and says which script to run.
RequestInfo init_request_info(RequestEnv& env, const PathSettings& settings,
                              const FileProbe& files);

// fpm_main.c: is_valid_path — false for a path with a `..` segment.
bool is_valid_path(std::string_view path);

// security.limit_extensions (fpm_conf.c): extensions separated by spaces or tabs.
std::vector<std::string> parse_limit_extensions(std::string_view text);

// fpm_php.c: fpm_php_limit_extensions — the path ends with one of them and is longer; an empty
// list allows every path.
bool extension_allowed(std::string_view path, const std::vector<std::string>& extensions);

// php_raw_url_decode: %XX sequences only ('+' stays).
std::string raw_url_decode(std::string_view text);

}  // namespace zfpm::php
