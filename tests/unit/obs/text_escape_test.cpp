#include "zfpm/obs/text_escape.hpp"

#include <doctest/doctest.h>

using zfpm::obs::json_escape;
using zfpm::obs::xml_escape;

TEST_CASE("json_escape escapes as PHP's json_encode does, without the quotes") {
  CHECK(json_escape("/status?x") == "\\/status?x");
  CHECK(json_escape("a\"b\\c") == "a\\\"b\\\\c");
  CHECK(json_escape("\b\f\n\r\t") == "\\b\\f\\n\\r\\t");
  CHECK(json_escape(std::string("\x01\x1f", 2)) == "\\u0001\\u001f");
  CHECK(json_escape("<script>&'") == "<script>&'");  // no JSON_HEX_* flags
}

TEST_CASE("json_escape writes non-ASCII as \\u escapes and drops invalid UTF-8") {
  CHECK(json_escape("\xc3\xa9") == "\\u00e9");
  CHECK(json_escape("\xe2\x82\xac") == "\\u20ac");
  CHECK(json_escape("\xf0\x9f\x98\x80") == "\\ud83d\\ude00");
  CHECK(json_escape("a\xffz") == "az");
  CHECK(json_escape("a\xc3z") == "az");           // truncated sequence
  CHECK(json_escape("\xed\xa0\x80x") == "x");      // a UTF-16 surrogate is not UTF-8
  CHECK(json_escape("\xc0\xafx") == "x");          // overlong '/'
}

TEST_CASE("xml_escape is htmlspecialchars with ENT_COMPAT | ENT_XML1 | ENT_DISALLOWED") {
  CHECK(xml_escape("<script>alert(\"x\")&'</script>") ==
        "&lt;script&gt;alert(&quot;x&quot;)&amp;'&lt;/script&gt;");
  CHECK(xml_escape("&amp;") == "&amp;amp;");  // double_encode
  CHECK(xml_escape("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(xml_escape(std::string("a\x01z", 3)) == "a&#xFFFD;z");
  CHECK(xml_escape("tab\there") == "tab\there");
}

TEST_CASE("xml_escape gives an empty string for invalid UTF-8, as PHP does") {
  CHECK(xml_escape("ok\xff<") == "");
}
