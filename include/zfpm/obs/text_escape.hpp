#pragma once
// The two escapings php-fpm applies to the request URI and query string on its status page
// (fpm_status.c, the fix for GHSA-7qg2): PHP's json_encode() of a string and htmlspecialchars()
// for XML/HTML. Byte-exact with PHP 8.2 so that the status page reads the same.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace zfpm::obs {

// One UTF-8 character at text[pos] as PHP decodes it (no overlong forms, no surrogates, nothing
// above U+10FFFF); advances pos past it. nullopt for an invalid sequence (pos then moves one byte).
std::optional<char32_t> next_utf8(std::string_view text, std::size_t& pos);

// php_json_encode_string(..., PHP_JSON_INVALID_UTF8_IGNORE) without the surrounding quotes:
// '"', '\\' and '/' escaped, control characters as \b \f \n \r \t or \u00XX, every non-ASCII
// character as \uXXXX (surrogate pairs above U+FFFF), invalid UTF-8 bytes dropped.
std::string json_escape(std::string_view text);

// php_escape_html_entities_ex(ENT_COMPAT | ENT_HTML_DOC_XML1 | ENT_DISALLOWED, double_encode):
// & < > " as entities (' stays), characters XML 1.0 does not allow as &#xFFFD;. Invalid UTF-8
// makes PHP return an empty string, and so does this.
std::string xml_escape(std::string_view text);

}  // namespace zfpm::obs
