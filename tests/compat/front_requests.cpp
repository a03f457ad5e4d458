#include "front_requests.hpp"

#include <cstdio>
#include <string_view>

#include "sha256.hpp"

namespace zfpm::test {

namespace {

struct RequestOptions {
  std::vector<std::string> headers{};  // "Name: value" lines
  std::string body{};
  bool chunked = false;  // send the body with Transfer-Encoding: chunked
  std::string version = "HTTP/1.1";
};

std::string http(std::string_view method, std::string_view target, RequestOptions o = {}) {
  std::string r = std::string(method) + " " + std::string(target) + " " + o.version + "\r\n";
  r += "Host: front.test\r\n";
  for (const auto& h : o.headers) r += h + "\r\n";
  if (o.chunked) {
    r += "Transfer-Encoding: chunked\r\n";
  } else if (!o.body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    r += "Content-Length: " + std::to_string(o.body.size()) + "\r\n";
  }
  r += "Connection: close\r\n\r\n";
  if (!o.chunked) return r + o.body;
  // Two chunks, so the front sees a body whose length it learns only at the end.
  std::size_t half = o.body.size() / 2;
  auto chunk = [](std::string_view data) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return std::string(size) + std::string(data) + "\r\n";
  };
  return r + chunk(o.body.substr(0, half)) + chunk(o.body.substr(half)) + "0\r\n\r\n";
}

std::string multipart_with_files(std::string& big, std::string& small) {
  big.clear();
  for (std::size_t i = 0; big.size() < 3 * 1024 * 1024 + 17; ++i) {
    big += static_cast<char>((i * 7919 + i / 251) & 0xff);
  }
  small = "hello\r\nworld";
  auto part = [](std::string_view disposition, std::string_view type, std::string_view data) {
    std::string p = "--XyZ\r\nContent-Disposition: form-data; " + std::string(disposition) + "\r\n";
    if (!type.empty()) p += "Content-Type: " + std::string(type) + "\r\n";
    return p + "\r\n" + std::string(data) + "\r\n";
  };
  return part("name=\"field\"", "", "value é") + part("name=\"arr[]\"", "", "one") +
         part("name=\"arr[]\"", "", "two") +
         part("name=\"big\"; filename=\"big.bin\"", "application/octet-stream", big) +
         part("name=\"docs[]\"; filename=\"a.txt\"", "text/plain", small) +
         part("name=\"docs[]\"; filename=\"b b.txt\"", "text/plain", "") +
         part("name=\"none\"; filename=\"\"", "", "") + "--XyZ--\r\n";
}

}  // namespace

// No shape sends PHP_VALUE or PHP_ADMIN_VALUE (nginx's `fastcgi_param PHP_VALUE`): php-fpm keeps
// them in its child for every later request, zfpm for that request only, by design (docs/php.md,
// "PHP_VALUE and PHP_ADMIN_VALUE"); request_shapes_test.cpp covers them with fresh servers.
std::vector<Shape> request_shapes() {
  std::vector<Shape> s;
  auto get = [&](std::string name, std::string target, RequestOptions o = {}) {
    s.push_back({std::move(name), http("GET", target, std::move(o))});
  };
  get("plain GET", "/dump.php");
  get("GET through nginx's plain location", "/plain/dump.php?x=1");
  get("duplicate query keys", "/dump.php?a=1&a=2&b=3&b=");
  get("array query keys", "/dump.php?a[]=1&a[]=2&b[x][y]=3&b[x][z]=4&c[]");
  get("encoded query characters", "/dump.php?e=%C3%A9&f=a+b&g=%2B%26%3D&h=%25&i=%FF&j%20k=1");
  get("empty values and keys without '='", "/dump.php?empty=&flag&=v&&x&y=");
  get("a 6000-byte query string", "/dump.php?long=" + std::string(6000, 'q'));
  get("PATH_INFO", "/dump.php/extra/path?q=1");
  get("encoded PATH_INFO segments", "/dump.php/a%20b/%C3%A9/c%2Fd/");
  get("PATH_INFO after the plain prefix", "/plain/dump.php/x/y");
  get("index fallback at /", "/");
  get("index fallback at /dir/", "/dir/?from=dir");
  get("a folder without its '/'", "/dir");
  get("an encoded script name", "/sp%20ace.php?x=%20");
  get("a missing script", "/missing.php");
  get("a missing script in the plain location", "/plain/missing.php");
  get("a missing script with PATH_INFO", "/missing.php/more");
  get("HTTP/1.0", "/dump.php?v=10", {.version = "HTTP/1.0"});
  get("dot segments and double slashes", "/dir/..//dump.php?p=1");
  get("conditional request headers", "/dump.php",
      {.headers = {"If-None-Match: \"abc\"", "If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT"}});
  s.push_back({"HEAD", http("HEAD", "/dump.php?x=1"), true});
  s.push_back({"OPTIONS", http("OPTIONS", "/dump.php")});
  s.push_back(
      {"PUT with a body", http("PUT", "/dump.php?id=7",
                               {.headers = {"Content-Type: text/plain"}, .body = "put body\n"})});
  s.push_back({"DELETE with a body",
               http("DELETE", "/dump.php",
                    {.headers = {"Content-Type: application/json"}, .body = R"({"id":7})"})});
  s.push_back({"PATCH with a form body",
               http("PATCH", "/dump.php",
                    {.headers = {"Content-Type: application/x-www-form-urlencoded"},
                     .body = "a=1&b[]=2"})});
  // Caddy passes a chunked body on with CONTENT_LENGTH=-1, which php-fpm never answers (it reads
  // STDIN for as long as the length says): through nginx only, which de-chunks it.
  s.push_back({"a chunked PUT",
               http("PUT", "/dump.php",
                    {.headers = {"Content-Type: application/octet-stream"},
                     .body = std::string(5000, 'c'),
                     .chunked = true}),
               false,
               {},
               /*nginx_only=*/true});
  std::string two_mib(2 * 1024 * 1024 + 5, 'b');
  for (std::size_t i = 0; i < two_mib.size(); i += 4093) two_mib[i] = static_cast<char>(i);
  s.push_back({"a 2 MiB PUT body",
               http("PUT", "/dump.php",
                    {.headers = {"Content-Type: application/octet-stream"}, .body = two_mib})});
  get("non-ASCII bytes in header values", "/dump.php",
      {.headers = {"X-Utf8: caf\xc3\xa9", "X-Latin1: caf\xe9"}});
  s.push_back({"empty urlencoded POST",
               http("POST", "/dump.php",
                    {.headers = {"Content-Type: application/x-www-form-urlencoded"}})});
  s.push_back({"empty POST without a content type", http("POST", "/dump.php")});
  s.push_back({"urlencoded POST with arrays and a query",
               http("POST", "/dump.php?a=get&g=1",
                    {.headers = {"Content-Type: application/x-www-form-urlencoded; charset=UTF-8"},
                     .body = "a=1&a=2&b[]=x&b[]=y&c[k]=v&d=%C3%A9+%2B&e"})});
  std::string big, small;
  std::string multipart = multipart_with_files(big, small);
  s.push_back(
      {"multipart with several files, one of 3 MiB",
       http("POST", "/dump.php",
            {.headers = {"Content-Type: multipart/form-data; boundary=XyZ"}, .body = multipart}),
       false,
       {sha256_hex(big), sha256_hex(small), sha256_hex("")}});
  s.push_back(
      {"POST with Expect: 100-continue",
       http("POST", "/dump.php",
            {.headers = {"Content-Type: application/x-www-form-urlencoded", "Expect: 100-continue"},
             .body = "x=1"})});
  std::string limited =
      "--XyZ\r\nContent-Disposition: form-data; name=\"MAX_FILE_SIZE\"\r\n\r\n10\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f\"\r\n\r\n" +
      std::string(100, 'f') + "\r\n--XyZ--\r\n";
  s.push_back(
      {"multipart over MAX_FILE_SIZE",
       http("POST", "/dump.php",
            {.headers = {"Content-Type: multipart/form-data; boundary=XyZ"}, .body = limited})});
  std::string files25;
  for (int i = 0; i < 25; ++i) {
    files25 += "--XyZ\r\nContent-Disposition: form-data; name=\"f" + std::to_string(i) +
               "\"; filename=\"f.txt\"\r\n\r\nx\r\n";
  }
  s.push_back({"multipart with more files than max_file_uploads",
               http("POST", "/dump.php",
                    {.headers = {"Content-Type: multipart/form-data; boundary=XyZ"},
                     .body = files25 + "--XyZ--\r\n"})});
  std::string vars;
  for (int i = 0; i < 1100; ++i) vars += (i ? "&v" : "v") + std::to_string(i) + "=1";
  s.push_back(
      {"urlencoded POST over max_input_vars",
       http("POST", "/dump.php",
            {.headers = {"Content-Type: application/x-www-form-urlencoded"}, .body = vars})});
  std::string deep = "deep";
  for (int i = 0; i < 70; ++i) deep += "[a]";
  get("a query nested past max_input_nesting_level", "/dump.php?" + deep + "=1&ok=1");
  get("Authorization Basic without a ':'", "/dump.php",
      {.headers = {"Authorization: Basic bm9jb2xvbg=="}});
  get("Authorization Digest", "/dump.php",
      {.headers = {"Authorization: Digest username=\"u\", realm=\"r\", nonce=\"n\""}});
  std::string many;
  for (int i = 0; i < 60; ++i)
    many += (i ? "; c" : "c") + std::to_string(i) + "=v" + std::to_string(i);
  get("60 cookies", "/dump.php", {.headers = {"Cookie: " + many}});
  get("a 4000-byte cookie and odd ones", "/dump.php",
      {.headers = {"Cookie: big=" + std::string(4000, 'k') +
                   "; dup=1; dup=2; arr[a]=1; arr[]=2; sp ace=x%20y; dot.ted=1; q=\"v\"; flag"}});
  get("two Cookie headers", "/dump.php", {.headers = {"Cookie: a=1", "Cookie: b=2"}});
  get("Authorization Basic", "/dump.php", {.headers = {"Authorization: Basic dXNlcjpwYTpzcw=="}});
  get("Authorization Bearer", "/dump.php", {.headers = {"Authorization: Bearer abc.def.ghi"}});
  get("custom headers with dashes and underscores", "/dump.php",
      {.headers = {"X-Custom-Header: one", "X_Under_Score: two", "x-lower--double: three",
                   "X-Empty:", "Accept: */*", "User-Agent: front-compat/1",
                   "X-Forwarded-For: 10.0.0.1", "Proxy: http://evil:8080"}});
  get("a repeated header", "/dump.php", {.headers = {"X-Twice: a", "X-Twice: b"}});
  get("a 7000-byte header", "/dump.php", {.headers = {"X-Long: " + std::string(7000, 'h')}});
  for (std::string c : {"cookies",
                        "headers",
                        "teapot",
                        "custom-reason",
                        "location",
                        "location-301",
                        "status-header",
                        "not-modified",
                        "no-content",
                        "json",
                        "fatal",
                        "fatal-buffered",
                        "exit",
                        "exit-message",
                        "finish",
                        "large",
                        "warning",
                        "uncaught",
                        "uncaught-shown",
                        "late-header",
                        "shutdown",
                        "flushed",
                        "ob-callback",
                        "content-length",
                        "unauthorized",
                        "odd-status",
                        "big-cookie",
                        "code-500",
                        "status-no-reason",
                        "http10-line",
                        "no-content-type",
                        "memory",
                        ""}) {
    get("response: " + (c.empty() ? std::string("plain") : c), "/resp.php?case=" + c);
  }
  s.push_back({"response: HEAD with cookies", http("HEAD", "/resp.php?case=cookies"), true});
  // Both backends have 2 workers: two requests after the one that changed its worker's state
  // reach that worker whichever way requests are spread.
  get("response: a script that changes process state", "/resp.php?case=state");
  get("the next request after a state change", "/dump.php?after=1");
  get("the second request after a state change", "/dump.php?after=2");
  get("a script under a .user.ini", "/dir/index.php");
  return s;
}

}  // namespace zfpm::test
