#include "zfpm/obs/text_escape.hpp"

namespace zfpm::obs {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_u16(std::string& out, unsigned unit) {
  out += "\\u";
  out += kHex[(unit >> 12) & 0xf];
  out += kHex[(unit >> 8) & 0xf];
  out += kHex[(unit >> 4) & 0xf];
  out += kHex[unit & 0xf];
}

// XML 1.0's Char production (what ENT_DISALLOWED keeps for ENT_HTML_DOC_XML1).
bool xml_allowed(char32_t c) {
  return c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) ||
         (c >= 0xe000 && c <= 0x10ffff && c != 0xfffe && c != 0xffff);
}

}  // namespace

std::optional<char32_t> next_utf8(std::string_view text, std::size_t& pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  std::size_t length;
  char32_t c;
  if (lead < 0x80) {
    ++pos;
    return lead;
  } else if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    c = lead & 0x1f;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    c = lead & 0x0f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    c = lead & 0x07;
  } else {
    ++pos;
    return std::nullopt;
  }
  if (pos + length > text.size()) {
    ++pos;
    return std::nullopt;
  }
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(pos + i) & 0xc0) != 0x80) {
      ++pos;
      return std::nullopt;
    }
    c = (c << 6) | (byte(pos + i) & 0x3f);
  }
  const bool overlong = (length == 3 && c < 0x800) || (length == 4 && c < 0x10000);
  if (overlong || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff) {
    ++pos;
    return std::nullopt;
  }
  pos += length;
  return c;
}

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto c = next_utf8(text, pos);
    if (!c) continue;  // PHP_JSON_INVALID_UTF8_IGNORE
    switch (*c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '/': out += "\\/"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (*c < 0x20) {
          append_u16(out, *c);
        } else if (*c < 0x80) {
          out += static_cast<char>(*c);
        } else if (*c < 0x10000) {
          append_u16(out, *c);
        } else {
          const char32_t v = *c - 0x10000;
          append_u16(out, 0xd800 | (v >> 10));
          append_u16(out, 0xdc00 | (v & 0x3ff));
        }
    }
  }
  return out;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t start = pos;
    auto c = next_utf8(text, pos);
    if (!c) return {};  // neither ENT_IGNORE nor ENT_SUBSTITUTE: PHP gives up
    switch (*c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        if (xml_allowed(*c)) {
          out.append(text.substr(start, pos - start));
        } else {
          out += "&#xFFFD;";
        }
    }
  }
  return out;
}

}  // namespace zfpm::obs
