#pragma once
// The value side of an INI line: its tokens, and zend_ini_parser.y's rules that join them or
// compute the | & ^ ~ ! ( ) expressions. Internal to src/config.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zfpm::config::ini {

struct Token {
  enum class Kind { Text, Boolean, Operator } kind;
  std::string text;  // Text: a piece of the value; Boolean: "1" or ""; Operator: the character
};

// "syntax error, unexpected 'x'" for what starts `rest` (end of file when empty).
std::string unexpected(std::string_view rest);

// The value, or nothing with `error` set.
std::optional<std::string> evaluate(const std::vector<Token>& tokens, std::string& error);

}  // namespace zfpm::config::ini
