// init_request_info from fpm_main.c, rewritten on strings: the variable names and the order of
// every step are php-fpm's, so the two can be read side by side. Where fpm edits a param's
// buffer in place (the Apache prefix strip, the ProxyPass SCRIPT_NAME trim) the env's value is
// replaced where it stands, which is what the in-place edit amounts to in $_SERVER.
#include "request_info.hpp"

#include <strings.h>
#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <cstring>

namespace zfpm::php {
namespace {

using Text = std::optional<std::string>;

Text get(const RequestEnv& env, std::string_view name) {
  const char* value = env.get(name);
  return value ? Text(value) : std::nullopt;
}

bool starts_with_nocase(const std::string& text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         strncasecmp(text.data(), prefix.data(), prefix.size()) == 0;
}

// Apache mod_proxy_fcgi / mod_proxy_balancer send "proxy:fcgi://host:port/path?query"
// (bugs.php.net #54152, #62172): keep /path. Returns true when a path was found.
bool strip_proxy_prefix(std::string& filename, std::string_view prefix) {
  bool stripped = false;
  std::size_t slash = filename.find('/', prefix.size());
  if (slash != std::string::npos) {
    filename.erase(0, slash);
    stripped = true;
  }
  if (auto query = filename.find('?'); query != std::string::npos) filename.resize(query);
  return stripped;
}

// The last '/' in path, else the last '\\' (fpm's strrchr pair), or npos.
std::size_t last_separator(const std::string& path) {
  std::size_t slash = path.rfind('/');
  return slash != std::string::npos ? slash : path.rfind('\\');
}

// strcmp semantics: a string that came through url-decoding may hold a NUL.
bool c_equal(const std::string& a, const std::string& b) {
  return std::strcmp(a.c_str(), b.c_str()) == 0;
}

}  // namespace

bool SystemFileProbe::is_regular_file(const std::string& path) const {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool SystemFileProbe::resolves(const std::string& path) const {
  char resolved[PATH_MAX];
  return ::realpath(path.c_str(), resolved) != nullptr;
}

bool is_valid_path(std::string_view path) {
  auto is_slash = [](char c) { return c == '/' || c == '\\'; };
  for (std::size_t at = path.find(".."); at != std::string_view::npos;
       at = path.find("..", at + 1)) {
    bool starts_segment = at == 0 || is_slash(path[at - 1]);
    bool ends_segment = at + 2 == path.size() || is_slash(path[at + 2]);
    if (starts_segment && ends_segment) return false;
  }
  return true;
}

std::vector<std::string> parse_limit_extensions(std::string_view text) {
  std::vector<std::string> extensions;
  std::size_t at = 0;
  while ((at = text.find_first_not_of(" \t", at)) != std::string_view::npos) {
    std::size_t end = text.find_first_of(" \t", at);
    extensions.emplace_back(text.substr(at, end - at));
    at = end;
  }
  return extensions;
}

bool extension_allowed(std::string_view path, const std::vector<std::string>& extensions) {
  if (extensions.empty()) return true;
  for (const std::string& extension : extensions) {
    if (path.size() > extension.size() && path.ends_with(extension)) return true;
  }
  return false;
}

std::string raw_url_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

RequestInfo init_request_info(RequestEnv& env, const PathSettings& settings,
                              const FileProbe& files) {
  RequestInfo info;
  Text env_script_filename = get(env, "SCRIPT_FILENAME");
  Text env_path_translated = get(env, "PATH_TRANSLATED");
  // Some broken servers send no SCRIPT_FILENAME but the script as PATH_TRANSLATED.
  Text script_path_translated = env_script_filename ? env_script_filename : env_path_translated;
  bool script_is_filename = env_script_filename.has_value();
  bool apache_was_here = false;
  // Without a script there is nothing to rewrite: the answer is 404.
  if (!script_path_translated) return info;

  Text env_path_info = get(env, "PATH_INFO");
  Text env_script_name = get(env, "SCRIPT_NAME");

  // Hack for buggy IIS that sets an incorrect PATH_INFO (SCRIPT_NAME + the real one).
  if (Text software = get(env, "SERVER_SOFTWARE"); software && env_script_name && env_path_info &&
                                                   software->starts_with("Microsoft-IIS") &&
                                                   env_path_info->starts_with(*env_script_name)) {
    env.set("ORIG_PATH_INFO", *env_path_info);
    std::string rest = env_path_info->substr(env_script_name->size());
    if (rest.empty()) {
      env.remove("PATH_INFO");
      env_path_info.reset();
    } else {
      env.set("PATH_INFO", rest);
      env_path_info = rest;
    }
  }

  for (std::string_view prefix :
       {std::string_view("proxy:fcgi://"), std::string_view("proxy:balancer://")}) {
    if (env_script_filename && starts_with_nocase(*env_script_filename, prefix)) {
      if (strip_proxy_prefix(*env_script_filename, prefix)) apache_was_here = true;
      env.set("SCRIPT_FILENAME", *env_script_filename);  // in place: seen in $_SERVER
      if (script_is_filename) script_path_translated = env_script_filename;
    }
  }

  if (!settings.fix_pathinfo) {
    // "pre 4.3 behaviour": no search, PATH_INFO wins as the request URI.
    info.request_uri = env.get(env_path_info ? "PATH_INFO" : "SCRIPT_NAME");
    if (!settings.discard_path && env_path_translated) script_path_translated = env_path_translated;
  } else {
    Text env_redirect_url = get(env, "REDIRECT_URL");
    Text env_document_root = get(env, "DOCUMENT_ROOT");
    const Text orig_path_translated = env_path_translated;
    const Text orig_path_info = env_path_info;
    Text orig_script_name = env_script_name;
    const Text orig_script_filename = env_script_filename;
    bool script_name_is_orig = true;  // fpm compares the pointers env_script_name, orig_script_name

    if (!env_document_root && !settings.doc_root.empty()) {
      env.set("DOCUMENT_ROOT", settings.doc_root);
      env_document_root = std::string(settings.doc_root);
    }
    // Apache mod_fastcgi: SCRIPT_FILENAME and SCRIPT_NAME name the PHP binary; the script is
    // PATH_TRANSLATED and its URL REDIRECT_URL. Not for mod_proxy_fcgi (apache_was_here).
    if (!apache_was_here && env_path_translated && env_redirect_url &&
        *env_path_translated != *script_path_translated) {
      script_path_translated = env_path_translated;
      env_script_name = env_redirect_url;
      script_name_is_orig = false;
    }

    const std::string& script = *script_path_translated;
    if (!script.empty() && (script.back() == '/' || !files.resolves(script))) {
      // No such file: strip trailing segments until one is (/info.php/test → /info.php).
      std::string pt = script;
      const std::size_t len = script.size();
      bool found = false;
      for (std::size_t ptr = last_separator(pt); ptr != std::string::npos;
           ptr = last_separator(pt)) {
        pt.resize(ptr);
        if (!files.is_regular_file(pt)) continue;
        found = true;
        const std::size_t slen = len - pt.size();
        const std::size_t pilen = env_path_info ? env_path_info->size() : 0;
        Text path_info;
        bool tflag = false;
        if (apache_was_here) {
          // mod_proxy_fcgi sends no PATH_INFO: it is the stripped tail of the path.
          path_info = script.substr(pt.size());
          tflag = slen != 0 && (!orig_path_info || *orig_path_info != *path_info);
        } else {
          // CVE-2019-11043: only a PATH_INFO longer than the stripped tail yields one.
          if (env_path_info && pilen > slen) path_info = env_path_info->substr(pilen - slen);
          tflag = path_info.has_value();
        }
        if (tflag) {
          if (orig_path_info) {
            env.set("ORIG_PATH_INFO", *orig_path_info);
            // SCRIPT_NAME becomes what PATH_INFO held before the part that is path info now.
            std::string head =
                apache_was_here ? *env_path_info : env_path_info->substr(0, pilen - slen);
            if (!orig_script_name || !c_equal(*orig_script_name, head)) {
              if (orig_script_name) env.set("ORIG_SCRIPT_NAME", *orig_script_name);
              info.request_uri = env.set("SCRIPT_NAME", head);
            } else {
              info.request_uri = env.get("SCRIPT_NAME");
            }
          } else if (apache_was_here && env_script_name) {
            // ProxyPass: the path info is probably the end of SCRIPT_NAME too, raw or decoded.
            Text decoded;
            if (path_info->find('%') != std::string::npos) decoded = raw_url_decode(*path_info);
            const std::string& name = *env_script_name;
            const std::size_t snlen = name.size();
            std::size_t start = 0;
            bool matched = false;
            if (snlen > slen && c_equal(name.substr(start = snlen - slen), *path_info)) {
              matched = true;
            } else if (decoded && snlen > decoded->size() &&
                       c_equal(name.substr(start = snlen - decoded->size()), *decoded)) {
              matched = true;
            }
            if (matched) {
              env.set("ORIG_SCRIPT_NAME", *orig_script_name);
              env_script_name = name.substr(0, start);
              info.request_uri = env.set("SCRIPT_NAME", *env_script_name);
            }
          }
          env.set("PATH_INFO", *path_info);
          env_path_info = path_info;
        }
        if (!orig_script_filename || *orig_script_filename != pt) {
          if (orig_script_filename) env.set("ORIG_SCRIPT_FILENAME", *orig_script_filename);
          env.set("SCRIPT_FILENAME", pt);
          script_path_translated = pt;
        }
        // PATH_TRANSLATED = DOCUMENT_ROOT + PATH_INFO, or else the script minus SCRIPT_NAME.
        Text path_translated;
        if (env_document_root) {
          std::string root = *env_document_root;
          if (!root.empty() && root.back() == '/') root.pop_back();
          path_translated = root + env_path_info.value_or("");
        } else if (env_script_name && pt.find(*env_script_name) != std::string::npos) {
          path_translated =
              pt.substr(0, pt.size() - env_script_name->size()) + env_path_info.value_or("");
        }
        if (path_translated) {
          if (orig_path_translated) env.set("ORIG_PATH_TRANSLATED", *orig_path_translated);
          env.set("PATH_TRANSLATED", *path_translated);
        }
        break;
      }
      if (!found) {
        // Nothing left to strip: the script does not exist.
        if (orig_script_filename) env.set("ORIG_SCRIPT_FILENAME", *orig_script_filename);
        env.remove("SCRIPT_FILENAME");
        script_path_translated.reset();
      }
      if (!info.request_uri) {
        if (!orig_script_name || !env_script_name ||
            !c_equal(*orig_script_name, *env_script_name)) {
          if (orig_script_name) env.set("ORIG_SCRIPT_NAME", *orig_script_name);
          if (env_script_name) {
            info.request_uri = env.set("SCRIPT_NAME", *env_script_name);
          } else {
            env.remove("SCRIPT_NAME");
          }
        } else {
          info.request_uri = env.get("SCRIPT_NAME");
        }
      }
    } else {
      // The script exists as named: only remember originals that changed.
      if (!orig_script_filename || *script_path_translated != *orig_script_filename) {
        if (orig_script_filename) env.set("ORIG_SCRIPT_FILENAME", *orig_script_filename);
        env.set("SCRIPT_FILENAME", *script_path_translated);
      }
      if (!apache_was_here && env_redirect_url) {
        if (orig_path_info) {
          env.set("ORIG_PATH_INFO", *orig_path_info);
          env.remove("PATH_INFO");
        }
        if (orig_path_translated) {
          env.set("ORIG_PATH_TRANSLATED", *orig_path_translated);
          env.remove("PATH_TRANSLATED");
        }
      }
      if (!script_name_is_orig) {
        if (orig_script_name) env.set("ORIG_SCRIPT_NAME", *orig_script_name);
        info.request_uri = env.set("SCRIPT_NAME", *env_script_name);
      } else {
        info.request_uri = env.get("SCRIPT_NAME");
      }
    }
  }

  if (script_path_translated && is_valid_path(*script_path_translated)) {
    info.script_path = std::move(script_path_translated);
  }
  return info;
}

}  // namespace zfpm::php
