#include "ini_value.hpp"

#include <cstdlib>

namespace zfpm::config::ini {

std::string unexpected(std::string_view rest) {
  if (rest.empty()) return "syntax error, unexpected end of file";
  return "syntax error, unexpected '" + std::string(1, rest.front()) + "'";
}

namespace {

// zend_ini_parser.y: string_or_value and expr. '|' '&' '^' share one precedence, left to right;
// '~' and '!' bind tighter; operands are read with atoi and results printed with %d.
class ValueParser {
 public:
  explicit ValueParser(const std::vector<Token>& tokens) : tokens_(tokens) {}

  std::optional<std::string> parse(std::string& error) {
    if (tokens_.empty()) return std::string();
    if (tokens_.front().kind == Token::Kind::Boolean) {
      if (tokens_.size() > 1) return fail(error, tokens_[1]);
      return tokens_.front().text;
    }
    auto value = expr(error);
    if (!value) return std::nullopt;
    if (at_ < tokens_.size()) return fail(error, tokens_[at_]);
    return value;
  }

 private:
  std::optional<std::string> fail(std::string& error, const Token& token) {
    if (error.empty()) {
      error = token.kind == Token::Kind::Boolean ? "syntax error, unexpected BOOL"
                                                 : unexpected(token.text);
    }
    return std::nullopt;
  }
  static int int_value(const std::string& text) { return std::atoi(text.c_str()); }
  bool next_is(char op) const {
    return at_ < tokens_.size() && tokens_[at_].kind == Token::Kind::Operator &&
           tokens_[at_].text[0] == op;
  }

  std::optional<std::string> expr(std::string& error) {
    auto left = unary(error);
    while (left && (next_is('|') || next_is('&') || next_is('^'))) {
      char op = tokens_[at_++].text[0];
      auto right = unary(error);
      if (!right) return std::nullopt;
      int a = int_value(*left), b = int_value(*right);
      left = std::to_string(op == '|' ? (a | b) : op == '&' ? (a & b) : (a ^ b));
    }
    return left;
  }

  std::optional<std::string> unary(std::string& error) {
    if (at_ >= tokens_.size()) {
      if (error.empty()) error = unexpected({});
      return std::nullopt;
    }
    if (next_is('~') || next_is('!')) {
      char op = tokens_[at_++].text[0];
      auto operand = unary(error);
      if (!operand) return std::nullopt;
      int a = int_value(*operand);
      return std::to_string(op == '~' ? ~a : !a);
    }
    if (next_is('(')) {
      ++at_;
      auto inner = expr(error);
      if (!inner) return std::nullopt;
      if (!next_is(')')) {
        if (at_ < tokens_.size()) return fail(error, tokens_[at_]);
        if (error.empty()) error = unexpected({});
        return std::nullopt;
      }
      ++at_;
      return inner;
    }
    std::string text;
    bool any = false;
    while (at_ < tokens_.size() && tokens_[at_].kind == Token::Kind::Text) {
      text += tokens_[at_++].text;
      any = true;
    }
    if (!any) return fail(error, tokens_[at_]);
    return text;
  }

  const std::vector<Token>& tokens_;
  std::size_t at_ = 0;
};

}  // namespace

std::optional<std::string> evaluate(const std::vector<Token>& tokens, std::string& error) {
  return ValueParser(tokens).parse(error);
}

}  // namespace zfpm::config::ini
