<?php
// zfpm's demo page: which PHP answered, on which worker thread, and what the request carried.

declare(strict_types=1);

function h(mixed $value): string
{
    if (is_bool($value)) {
        $value = $value ? 'yes' : 'no';
    } elseif (is_array($value)) {
        $value = json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR);
    }
    return htmlspecialchars((string) $value, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
}

function table(array $rows): string
{
    if ($rows === []) {
        return "<p><em>(empty)</em></p>\n";
    }
    $html = "<table>\n";
    foreach ($rows as $key => $value) {
        $html .= '<tr><th>' . h($key) . '</th><td>' . h($value) . "</td></tr>\n";
    }
    return $html . "</table>\n";
}

$worker = function_exists('zfpm_worker_info') ? zfpm_worker_info() : null;
$opcache = function_exists('opcache_get_status') ? opcache_get_status(false) : false;

$runtime = [
    'PHP_SAPI' => PHP_SAPI,
    'PHP_VERSION' => PHP_VERSION,
    'thread safe (ZEND_THREAD_SAFE)' => ZEND_THREAD_SAFE,
    'opcache enabled' => is_array($opcache) ? ($opcache['opcache_enabled'] ?? false) : false,
    'process id' => getmypid(),
];
if ($worker !== null) {
    $runtime['worker'] = $worker['id'];
    $runtime['worker thread id'] = $worker['tid'];
    $runtime['requests served by this worker'] = $worker['requests'];
} else {
    $runtime['worker'] = 'not zfpm (no zfpm_worker_info())';
}

$server_keys = [
    'REQUEST_METHOD', 'REQUEST_URI', 'SCRIPT_NAME', 'SCRIPT_FILENAME', 'PATH_INFO', 'QUERY_STRING',
    'CONTENT_TYPE', 'CONTENT_LENGTH', 'DOCUMENT_ROOT', 'SERVER_SOFTWARE', 'SERVER_PROTOCOL',
    'SERVER_NAME', 'SERVER_PORT', 'REMOTE_ADDR', 'HTTP_HOST', 'HTTP_USER_AGENT', 'HTTPS',
];
$server = [];
foreach ($server_keys as $key) {
    if (array_key_exists($key, $_SERVER)) {
        $server[$key] = $_SERVER[$key];
    }
}

if (!isset($_COOKIE['zfpm_demo'])) {
    setcookie('zfpm_demo', 'visited ' . date('H:i:s'), ['path' => '/', 'samesite' => 'Lax']);
}
?>
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>zfpm demo</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; }
  table { border-collapse: collapse; margin-bottom: 1rem; }
  th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
  th { background: #f4f4f4; font-weight: 600; }
  td { font-family: ui-monospace, monospace; word-break: break-all; }
</style>
</head>
<body>
<h1>zfpm demo</h1>
<p>Reload to see requests spread over worker threads.
   Also: <a href="hello.php">hello.php</a>, <a href="info.php">info.php</a> (phpinfo),
   <a href="?name=zfpm&amp;tags[]=a&amp;tags[]=b">this page with a query string</a>.</p>

<h2>Runtime</h2>
<?= table($runtime) ?>

<h2>Send a POST</h2>
<form method="post" action="<?= h(strtok($_SERVER['REQUEST_URI'] ?? '/', '?') ?: '/') ?>?from=form">
  <label>message <input name="message" value="hello from a form"></label>
  <label>number <input name="number" type="number" value="42"></label>
  <button type="submit">POST</button>
</form>

<h2>$_GET</h2>
<?= table($_GET) ?>

<h2>$_POST</h2>
<?= table($_POST) ?>

<h2>$_COOKIE</h2>
<?= table($_COOKIE) ?>

<h2>$_SERVER (selected)</h2>
<?= table($server) ?>
</body>
</html>
