#include "ini_line.hpp"

#include <array>
#include <vector>

#include "ini_value.hpp"

namespace zfpm::config::ini {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// LABEL: [^=\n\r\t;&|^$~(){}!"\[]
bool is_label_char(char c) {
  for (char stop : std::string_view("=\n\r\t;&|^$~(){}!\"[")) {
    if (c == stop) return false;
  }
  return c != '\0';
}

// The constants php-fpm.conf users write (php_value[error_reporting] = E_ALL & ~E_NOTICE).
// php-fpm resolves every PHP constant; other names stay as written (zend_ini_get_constant).
std::optional<int> constant(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, int>, 16> kConstants{{
      {"E_ERROR", 1},
      {"E_WARNING", 2},
      {"E_PARSE", 4},
      {"E_NOTICE", 8},
      {"E_CORE_ERROR", 16},
      {"E_CORE_WARNING", 32},
      {"E_COMPILE_ERROR", 64},
      {"E_COMPILE_WARNING", 128},
      {"E_USER_ERROR", 256},
      {"E_USER_WARNING", 512},
      {"E_USER_NOTICE", 1024},
      {"E_STRICT", 2048},
      {"E_RECOVERABLE_ERROR", 4096},
      {"E_DEPRECATED", 8192},
      {"E_USER_DEPRECATED", 16384},
      {"E_ALL", 32767},
  }};
  for (const auto& [constant_name, value] : kConstants) {
    if (constant_name == name) return value;
  }
  return std::nullopt;
}

class Cursor {
 public:
  Cursor(std::string_view text, const Lookup& lookup) : text_(text), lookup_(lookup) {}

  std::string_view rest() const { return text_.substr(pos_); }
  bool at_end() const { return pos_ >= text_.size(); }
  char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  void skip_blanks() {
    while (is_blank(peek())) ++pos_;
  }
  // End of line or a comment, after optional blanks.
  bool at_line_end() const {
    std::size_t p = pos_;
    while (p < text_.size() && is_blank(text_[p])) ++p;
    return p >= text_.size() || text_[p] == ';';
  }

  std::optional<std::string> error;

  // ${NAME} at the cursor.
  std::string variable() {
    pos_ += 2;
    auto close = text_.find('}', pos_);
    if (close == std::string_view::npos) {
      fail(text_.substr(text_.size()));
      return {};
    }
    auto name = text_.substr(pos_, close - pos_);
    while (!name.empty() && is_blank(name.front())) name.remove_prefix(1);
    while (!name.empty() && is_blank(name.back())) name.remove_suffix(1);
    pos_ = close + 1;
    return lookup_ ? lookup_(std::string(name)).value_or("") : "";
  }

  // '...' at the cursor: no escapes, at least one character (SINGLE_QUOTED_CHARS+).
  std::string single_quoted() {
    auto close = text_.find('\'', pos_ + 1);
    if (close == std::string_view::npos || close == pos_ + 1) {
      fail(rest());
      return {};
    }
    std::string out(text_.substr(pos_ + 1, close - pos_ - 1));
    pos_ = close + 1;
    return out;
  }

  // "..." at the cursor: \" \\ \$ are escapes (zend_ini_escape_string), ${NAME} expands.
  std::string double_quoted() {
    ++pos_;
    std::string out;
    while (!at_end()) {
      char c = peek();
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c == '$' && peek(1) == '{') {
        out += variable();
        continue;
      }
      if (c == '\\' && pos_ + 1 < text_.size()) {
        char escaped = peek(1);
        // Windows paths: key="C:\path\" closes at the end of the line.
        if (escaped == '"' && pos_ + 2 >= text_.size()) {
          out += '\\';
          pos_ += 2;
          return out;
        }
        if (escaped == '"' || escaped == '\\' || escaped == '$') {
          out += escaped;
        } else {
          out += c;
          out += escaped;
        }
        pos_ += 2;
        continue;
      }
      out += c;
      ++pos_;
    }
    fail({});
    return out;
  }

  std::vector<Token> value_tokens();
  std::string bracketed(bool section);
  std::string label() {
    auto from = pos_;
    while (!at_end() && is_label_char(peek())) ++pos_;
    auto name = text_.substr(from, pos_ - from);
    while (!name.empty() && is_blank(name.back())) name.remove_suffix(1);
    return std::string(name);
  }
  void advance(std::size_t n = 1) { pos_ += n; }

  void fail(std::string_view at) {
    if (!error) error = unexpected(at);
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  const Lookup& lookup_;
};

// Section names and offsets (ST_SECTION_VALUE, ST_OFFSET): verbatim up to ']' but for quotes,
// ${NAME} and a backslash that keeps the next character.
std::string Cursor::bracketed(bool section) {
  std::string out;
  while (!at_end() && !error) {
    char c = peek();
    if (c == ']') {
      if (!section) {
        while (!out.empty() && is_blank(out.back())) out.pop_back();
      }
      ++pos_;
      return out;
    }
    if (c == ';') break;
    if (c == '$' && peek(1) == '{') {
      out += variable();
    } else if (c == '\'') {
      out += single_quoted();
    } else if (c == '"') {
      out += double_quoted();
    } else if (c == '\\' && pos_ + 1 < text_.size()) {
      out += text_.substr(pos_, 2);
      pos_ += 2;
    } else {
      out += c;
      ++pos_;
    }
  }
  fail(rest());
  return out;
}

std::vector<Token> Cursor::value_tokens() {
  std::vector<Token> tokens;
  while (!error) {
    if (at_line_end()) break;
    char c = peek();
    if (is_blank(c)) {
      // Blanks before a quote belong to the quote, blanks before the end to the end.
      auto from = pos_;
      skip_blanks();
      if (peek() != '"')
        tokens.push_back({Token::Kind::Text, std::string(text_.substr(from, pos_ - from))});
      continue;
    }
    if (c == '"') {
      auto text = double_quoted();
      skip_blanks();
      tokens.push_back({Token::Kind::Text, std::move(text)});
      continue;
    }
    if (c == '\'') {
      tokens.push_back({Token::Kind::Text, single_quoted()});
      continue;
    }
    if (c == '$' && peek(1) == '{') {
      tokens.push_back({Token::Kind::Text, variable()});
      continue;
    }
    if (std::string_view("&|^~()!").find(c) != std::string_view::npos) {
      ++pos_;
      skip_blanks();
      tokens.push_back({Token::Kind::Operator, std::string(1, c)});
      continue;
    }
    if (c == '=') {
      fail(rest());
      break;
    }
    // Longest match among a boolean word, a constant, a number and a plain string; on a tie the
    // scanner's first rule wins (booleans, then constants, then numbers, then strings).
    auto rest_text = rest();
    std::size_t string_len = 0;
    while (string_len < rest_text.size()) {
      char s = rest_text[string_len];
      if (s == '$' && string_len + 1 < rest_text.size() && rest_text[string_len + 1] != '{') {
        string_len += 2;
        continue;
      }
      if (std::string_view("$= \t\n\r;&|^~()!\"'").find(s) != std::string_view::npos) break;
      ++string_len;
    }
    if (string_len == 0) {  // a lone '$' at the end of the line
      string_len = 1;
    }
    std::size_t constant_len = 0;
    if (is_alpha(rest_text[0])) {
      while (constant_len < rest_text.size() &&
             (is_alpha(rest_text[constant_len]) || is_digit(rest_text[constant_len]))) {
        ++constant_len;
      }
    }
    std::size_t boolean_len = 0;
    bool boolean_true = false;
    for (std::string_view word : {"true", "on", "yes", "false", "off", "no", "none", "null"}) {
      if (rest_text.size() < word.size()) continue;
      bool same = true;
      for (std::size_t i = 0; i < word.size(); ++i) same = same && lower(rest_text[i]) == word[i];
      if (!same) continue;
      std::size_t len = word.size();
      while (len < rest_text.size() && is_blank(rest_text[len])) ++len;
      if (len > boolean_len) {
        boolean_len = len;
        boolean_true = word == "true" || word == "on" || word == "yes";
      }
    }
    if (boolean_len > 0 && boolean_len >= constant_len && boolean_len >= string_len) {
      pos_ += boolean_len;
      tokens.push_back({Token::Kind::Boolean, boolean_true ? "1" : ""});
      continue;
    }
    if (constant_len > 0 && constant_len >= string_len) {
      auto name = rest_text.substr(0, constant_len);
      pos_ += constant_len;
      auto value = constant(name);
      tokens.push_back({Token::Kind::Text, value ? std::to_string(*value) : std::string(name)});
      continue;
    }
    tokens.push_back({Token::Kind::Text, std::string(rest_text.substr(0, string_len))});
    pos_ += string_len;
  }
  return tokens;
}

}  // namespace

std::variant<Line, SyntaxError> scan_line(std::string_view text, const Lookup& lookup) {
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  Cursor cursor(text, lookup);
  Line line;
  cursor.skip_blanks();
  if (cursor.at_line_end()) return line;

  if (cursor.peek() == '[') {
    cursor.advance();
    line.kind = Line::Kind::Section;
    line.name = cursor.bracketed(true);
    if (!cursor.error && !cursor.at_line_end())
      cursor.fail(cursor.rest().substr(cursor.rest().find_first_not_of(" \t")));
    if (cursor.error) return SyntaxError{*cursor.error};
    return line;
  }

  line.name = cursor.label();
  if (line.name.empty()) return SyntaxError{unexpected(cursor.rest())};
  if (cursor.peek() == '[') {
    cursor.advance();
    cursor.skip_blanks();
    line.kind = Line::Kind::ArrayEntry;
    line.offset = cursor.bracketed(false);
    if (cursor.error) return SyntaxError{*cursor.error};
    cursor.skip_blanks();
    if (cursor.peek() != '=') return SyntaxError{unexpected(cursor.rest())};
  } else {
    cursor.skip_blanks();
    if (cursor.at_line_end()) {
      line.kind = Line::Kind::NameOnly;
      return line;
    }
    if (cursor.peek() != '=') return SyntaxError{unexpected(cursor.rest())};
    line.kind = Line::Kind::Entry;
  }
  cursor.advance();  // '='
  cursor.skip_blanks();
  auto tokens = cursor.value_tokens();
  if (cursor.error) return SyntaxError{*cursor.error};
  std::string error;
  auto value = evaluate(tokens, error);
  if (!value) return SyntaxError{error};
  line.value = std::move(*value);
  return line;
}

}  // namespace zfpm::config::ini
