#include "zfpm/config/fpm_ini.hpp"

#include <cctype>

#include "ini_line.hpp"
#include "zfpm/config/directives.hpp"

namespace zfpm::config {

namespace {

// php-fpm opens at most 5 files in a chain of include= (fpm_conf.c: ini_recursion++ > 4).
constexpr int kMaxIncludeDepth = 4;

class FpmIniParser {
 public:
  FpmIniParser(ConfigSource& source, const FpmIniOptions& options, ParseResult& result)
      : source_(source), options_(options), result_(result) {}

  // Returns false when the file had an error (then its includer says so, as php-fpm does).
  bool parse_file(std::string_view text, const std::string& file, int depth) {
    bool ok = true;
    int line_number = 0;
    std::size_t from = 0;
    while (from <= text.size()) {
      auto end = text.find('\n', from);
      if (end == std::string_view::npos) end = text.size();
      auto physical = text.substr(from, end - from);
      ++line_number;
      from = end + 1;
      if (physical.empty()) continue;
      ok = parse_line(physical, file, line_number, depth) && ok;
    }
    return ok;
  }

  bool load_file(const std::string& path, int depth, const std::string& from_file, int from_line) {
    auto read = source_.read(path);
    if (!read.text) {
      error(from_file, from_line,
            "failed to open configuration file '" + path + "'" +
                (read.error.empty() ? "" : ": " + read.error));
      return false;
    }
    if (depth > kMaxIncludeDepth) {
      error(from_file, from_line, "failed to include more than 5 files recursively");
      return false;
    }
    return parse_file(*read.text, path, depth);
  }

 private:
  void report(const std::string& file, int line, std::string message, Level level) {
    result_.diagnostics.push_back({file, line, std::move(message), level});
  }
  void error(const std::string& file, int line, std::string message) {
    report(file, line, std::move(message), Level::Error);
  }
  void located_error(const std::string& file, int line, const std::string& message) {
    error(file, line, "[" + file + ":" + std::to_string(line) + "] " + message);
  }

  bool parse_line(std::string_view text, const std::string& file, int line_number, int depth) {
    auto scanned =
        ini::scan_line(text, [this](const std::string& name) { return source_.env(name); });
    if (auto* syntax = std::get_if<ini::SyntaxError>(&scanned)) {
      // php-fpm prints PHP's "PHP:  syntax error, ... in Unknown on line 1"; we say where.
      located_error(file, line_number, syntax->message);
      return false;
    }
    const auto& line = std::get<ini::Line>(scanned);
    switch (line.kind) {
      case ini::Line::Kind::Blank:
        return true;
      case ini::Line::Kind::Section:
        open_section(line.name);
        return true;
      case ini::Line::Kind::NameOnly:
        located_error(file, line_number, "value is NULL for a ZEND_INI_PARSER_ENTRY");
        return false;
      case ini::Line::Kind::Entry:
        if (line.name == "include") return include(line.value, file, line_number, depth);
        return entry(line.name, line.value, file, line_number);
      case ini::Line::Kind::ArrayEntry:
        return array_entry(line, file, line_number);
    }
    return true;
  }

  // [global] (any case) switches to the global scope; any other name opens a pool, or re-opens
  // the pool of that name (compared case-insensitively).
  void open_section(const std::string& name) {
    std::string lowered;
    for (char c : name) lowered += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lowered == "global") {
      current_ = std::nullopt;
      return;
    }
    auto& pools = result_.config.pools;
    if (const auto* pool = result_.config.find_pool(name)) {
      current_ = static_cast<std::size_t>(pool - pools.data());
      return;
    }
    PoolConfig pool;
    pool.name = name;
    pools.push_back(std::move(pool));
    current_ = pools.size() - 1;
  }

  bool entry(const std::string& name, const std::string& value, const std::string& file,
             int line_number) {
    auto outcome = current_ ? set_pool_directive(result_.config.pools[*current_], name, value)
                            : set_global_directive(result_.config.global, name, value);
    switch (outcome.kind) {
      case DirectiveOutcome::Kind::Ok:
        return true;
      case DirectiveOutcome::Kind::Unknown:
        located_error(file, line_number, "unknown entry '" + name + "'");
        return false;
      case DirectiveOutcome::Kind::Invalid:
        located_error(file, line_number,
                      "unable to parse value for entry '" + outcome.name + "': " + outcome.reason);
        return false;
    }
    return false;
  }

  bool array_entry(const ini::Line& line, const std::string& file, int line_number) {
    std::vector<std::string> errors;
    if (current_) {
      errors = add_pool_array(result_.config.pools[*current_], line.name, line.offset, line.value);
    } else {
      // php-fpm checks the key before it notices the global scope.
      if (line.name == "access.suppress_path" || line.offset.empty()) {
        PoolConfig scratch;
        errors = add_pool_array(scratch, line.name, line.offset, line.value);
      }
      if (errors.empty()) errors.emplace_back("Array are not allowed in the global section");
    }
    for (const auto& message : errors) located_error(file, line_number, message);
    return errors.empty();
  }

  // fpm_conf.c fpm_conf_ini_parser_include.
  bool include(const std::string& pattern, const std::string& file, int line_number, int depth) {
    std::string full = pattern;
    if (!full.empty() && full.front() != '/') full = options_.prefix + "/" + full;
    auto at = " from " + file + " at line " + std::to_string(line_number);
    auto matches = source_.glob(full);
    if (matches.error != 0) {
      error(file, line_number,
            "Unable to globalize '" + full + "' (ret=" + std::to_string(matches.error) + ")" + at +
                ".");
      return false;
    }
    if (matches.paths.empty()) {
      report(file, line_number, "Nothing matches the include pattern '" + full + "'" + at + ".",
             Level::Warning);
      return true;
    }
    bool ok = true;
    for (const auto& path : matches.paths) {
      if (path.empty() || path.back() == '/') continue;  // directories are skipped
      if (!load_file(path, depth + 1, file, line_number)) {
        error(file, line_number, "Unable to include " + path + at);
        ok = false;
      }
    }
    return ok;
  }

  ConfigSource& source_;
  const FpmIniOptions& options_;
  ParseResult& result_;
  std::optional<std::size_t> current_;  // the pool being filled; none in [global]
};

}  // namespace

ParseResult parse_fpm_ini(std::string_view text, const std::string& file, ConfigSource& source,
                          const FpmIniOptions& options) {
  ParseResult result;
  FpmIniParser(source, options, result).parse_file(text, file, 0);
  return result;
}

ParseResult load_fpm_ini(const std::string& file, ConfigSource& source,
                         const FpmIniOptions& options) {
  ParseResult result;
  FpmIniParser(source, options, result).load_file(file, 0, file, 0);
  return result;
}

}  // namespace zfpm::config
