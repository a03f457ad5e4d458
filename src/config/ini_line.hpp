#pragma once
// One physical line of php-fpm.conf through the rules of the Zend INI scanner and parser in
// ZEND_INI_SCANNER_NORMAL mode (Zend/zend_ini_scanner.l, zend_ini_parser.y), as php-fpm feeds
// it: comments, sections, key = value, key[offset] = value, quotes, ${NAME}, bare booleans,
// E_* constants and the | & ^ ~ ! ( ) expressions. Internal to src/config.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace zfpm::config::ini {

struct Line {
  enum class Kind { Blank, Section, Entry, ArrayEntry, NameOnly } kind = Kind::Blank;
  std::string name;    // section name, or the entry's name
  std::string offset;  // ArrayEntry: what is between the brackets
  std::string value;   // Entry, ArrayEntry
};

struct SyntaxError {
  std::string message;  // "syntax error, unexpected '='"
};

// ${NAME}: the text to put in its place, or nothing (then "").
using Lookup = std::function<std::optional<std::string>(const std::string& name)>;

std::variant<Line, SyntaxError> scan_line(std::string_view text, const Lookup& lookup);

}  // namespace zfpm::config::ini
