// The PHP scripts front_shapes_test.cpp puts in the docroot that nginx and Caddy serve from zfpm
// and from php-fpm alike.
#pragma once

namespace zfpm::test {

// Everything the script saw, one value per line: a path of JSON-encoded keys, a tab, the value as
// JSON (a string that is not UTF-8 as "hex:…"); each array also lists its keys in order under
// "#keys" and sorted under "#key set". Left out because they cannot match: the request times and
// REMOTE_PORT (the client's port, a new one per connection).
// Each upload's tmp_name becomes "set" and its SHA-256 is added.
constexpr const char* front_dump_php = R"(<?php
function enc($v) {
  if (is_string($v) && !preg_match('//u', $v)) $v = 'hex:' . bin2hex($v);
  return json_encode($v, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
}
function out(string $path, $v) {
  if (!is_array($v)) { echo $path, "\t", enc($v), "\n"; return; }
  $keys = array_map('strval', array_keys($v));
  echo $path, " \"#keys\"\t", enc($keys), "\n";
  sort($keys, SORT_STRING);
  echo $path, " \"#key set\"\t", enc($keys), "\n";
  foreach ($v as $k => $x) out($path . ' ' . enc((string)$k), $x);
}
function without_variable(array $a): array {
  unset($a['REQUEST_TIME'], $a['REQUEST_TIME_FLOAT'], $a['REMOTE_PORT']);
  return $a;
}
$files = $_FILES;
$hashes = [];
foreach ($_FILES as $f) {
  $tmp = (array)$f['tmp_name'];
  array_walk_recursive($tmp, function ($v) use (&$hashes) {
    if ($v !== '') $hashes[] = hash_file('sha256', $v);
  });
}
foreach ($files as &$f) {
  if (is_array($f['tmp_name'])) {
    array_walk_recursive($f['tmp_name'], function (&$v) { $v = $v === '' ? '' : 'set'; });
  } else {
    $f['tmp_name'] = $f['tmp_name'] === '' ? '' : 'set';
  }
}
unset($f);
$input = file_get_contents('php://input');
out('"server"', without_variable($_SERVER));
out('"env"', without_variable($_ENV));
out('"get"', $_GET);
out('"post"', $_POST);
out('"cookie"', $_COOKIE);
out('"files"', $files);
out('"upload_sha256"', $hashes);
out('"request"', $_REQUEST);
out('"headers"', getallheaders());
out('"input_length"', strlen($input));
out('"input_sha1"', sha1($input));
out('"response_code"', http_response_code());
out('"cwd"', getcwd());
out('"file"', __FILE__);
out('"getenv"', without_variable(getenv()));
// What an earlier request may have changed (resp.php?case=state) and .user.ini sets.
out('"state"', [getenv('LEAK'), ini_get('precision'), setlocale(LC_ALL, 0), umask(),
  date_default_timezone_get(), ini_get('display_errors'), defined('LEAKED')]);
)";

// Response shapes, chosen by ?case=.
constexpr const char* front_response_php = R"(<?php
switch ($_GET['case'] ?? '') {
  case 'cookies':
    setcookie('plain', 'a b');
    setcookie('opts', 'v', ['path' => '/p', 'domain' => 'front.test', 'secure' => true,
      'httponly' => true, 'samesite' => 'Strict']);
    setrawcookie('raw', 'x%20y');
    setcookie('gone', '');
    break;
  case 'headers':
    header('X-One: 1');
    header('X-Multi: a', false);
    header('X-Multi: b', false);
    header('X-Replaced: old');
    header('X-Replaced: new');
    header('X-Removed: 1');
    header_remove('X-Removed');
    header('Cache-Control: no-store');
    break;
  case 'teapot': header("HTTP/1.1 418 I'm a teapot"); break;
  case 'custom-reason': header('HTTP/1.1 299 Quite Fine'); break;
  case 'location': header('Location: /elsewhere?x=1'); break;
  case 'location-301': header('Location: https://front.test/moved', true, 301); break;
  case 'status-header': header('Status: 503 Service Unavailable'); header('Retry-After: 5'); break;
  case 'not-modified': header('ETag: "abc"'); http_response_code(304); break;
  case 'no-content': http_response_code(204); break;
  case 'json': header('Content-Type: application/json; charset=utf-8'); echo '{"a":1}'; exit;
  case 'fatal':
    ini_set('display_errors', '0');
    echo 'before the error';
    undefined_function_for_the_test();
    break;
  case 'fatal-buffered':
    ini_set('display_errors', '0');
    ob_start();
    echo 'buffered';
    undefined_function_for_the_test();
    break;
  case 'exit': echo 'before exit'; exit(3);
  case 'exit-message': exit('the message');
  case 'finish':
    header('X-Before: 1');
    echo 'sent';
    fastcgi_finish_request();
    echo 'after finishing';
    header('X-After: 1');
    exit;
  case 'large': echo str_repeat("0123456789abcdef\n", 20000); exit;
  case 'warning': echo $undefined_variable, 'after'; exit;
  case 'uncaught': ini_set('display_errors', '0'); throw new RuntimeException('boom');
  case 'uncaught-shown': throw new RuntimeException('shown');
  case 'late-header': echo 'out'; flush(); header('X-Late: 1'); exit;
  case 'shutdown':
    register_shutdown_function(function () { header('X-Shutdown: 1'); echo ' in shutdown'; });
    echo 'main';
    exit;
  case 'flushed':
    for ($i = 0; $i < 4; $i++) { echo str_repeat((string)$i, 30000), "\n"; flush(); }
    exit;
  case 'ob-callback': ob_start(fn ($b) => strtoupper($b)); echo 'lower case'; exit;
  case 'content-length': header('Content-Length: 5'); echo 'hello'; exit;
  case 'unauthorized': header('WWW-Authenticate: Basic realm="r"', true, 401); echo 'no'; exit;
  case 'odd-status': header('Status: 599 Odd One'); exit;
  case 'state':
    putenv('LEAK=1');
    ini_set('precision', '3');
    ini_set('display_errors', '0');
    setlocale(LC_ALL, 'C.UTF-8');
    umask(077);
    date_default_timezone_set('Asia/Tokyo');
    define('LEAKED', true);
    chdir('/');
    echo 'changed';
    exit;
  case 'big-cookie': setcookie('big', str_repeat('c', 3000)); setcookie('big2', 'x'); break;
  case 'code-500': http_response_code(500); echo 'explicit 500'; exit;
  case 'status-no-reason': header('Status: 404'); exit;
  case 'http10-line': header('HTTP/1.0 202'); exit;
  case 'no-content-type': header('Content-Type:'); echo 'raw'; exit;
  case 'memory':
    ini_set('display_errors', '0');
    ini_set('memory_limit', '8M');
    $a = str_repeat('x', 16 * 1024 * 1024);
    exit;
}
echo 'body ', $_GET['case'] ?? '';
)";

}  // namespace zfpm::test
