#include "zfpm/obs/status_query.hpp"

#include <doctest/doctest.h>

using namespace zfpm::obs;

TEST_CASE("the status format follows php-fpm's precedence html, xml, json, openmetrics") {
  CHECK(parse_status_query("").format == StatusFormat::Plain);
  CHECK(parse_status_query("json").format == StatusFormat::Json);
  CHECK(parse_status_query("xml&json").format == StatusFormat::Xml);
  CHECK(parse_status_query("json&html").format == StatusFormat::Html);
  CHECK(parse_status_query("openmetrics&json").format == StatusFormat::Json);
  CHECK(parse_status_query("openmetrics").format == StatusFormat::OpenMetrics);
  CHECK(parse_status_query("bogus=1").format == StatusFormat::Plain);
}

TEST_CASE("a query key matches when it is a prefix of the keyword") {
  CHECK(parse_status_query("j").format == StatusFormat::Json);
  CHECK(parse_status_query("f").full);
  CHECK(parse_status_query("json&full").full);
  CHECK(parse_status_query("ful=0").full);  // the value does not matter
  CHECK_FALSE(parse_status_query("fully").full);
  CHECK(parse_status_query("jsonx").format == StatusFormat::Plain);
  CHECK(parse_status_query("o").format == StatusFormat::OpenMetrics);
}

TEST_CASE("query keys are decoded the way PHP fills $_GET") {
  CHECK(php_get_keys("a=1&b&=3&c=") == std::vector<std::string>{"a", "b", "c"});
  CHECK(php_get_keys("%6Ason") == std::vector<std::string>{"json"});
  CHECK(php_get_keys("a.b=1&c+d=2&+e") == std::vector<std::string>{"a_b", "c_d", "e"});
  CHECK(php_get_keys("full[]=1&x[y=2") == std::vector<std::string>{"full", "x_y"});
  CHECK(php_get_keys("0&12&-3&012") == std::vector<std::string>{"012"});
  CHECK(parse_status_query("j%73on[]").format == StatusFormat::Json);
}

TEST_CASE("each format has php-fpm's content type") {
  CHECK(status_content_type(StatusFormat::Plain) == "text/plain");
  CHECK(status_content_type(StatusFormat::Json) == "application/json");
  CHECK(status_content_type(StatusFormat::OpenMetrics) ==
        "application/openmetrics-text; version=1.0.0; charset=utf-8");
}
