<?php
// The training site's front controller: what a small framework does on each request (autoload,
// a container, routing, a session, a database, templates, JSON and XML answers, forms and
// uploads), written to give the profile of libphp a request's usual paths. Not a benchmark.
declare(strict_types=1);

spl_autoload_register(function (string $class): void {
    $file = __DIR__ . '/src/' . str_replace(['Train\\', '\\'], ['', '/'], $class) . '.php';
    if (is_file($file)) {
        require $file;
    }
});

use Train\{Catalog, Container, Http\Request, Router, Text, View};

date_default_timezone_set('Europe/Paris');
session_start();
$_SESSION['visits'] = ($_SESSION['visits'] ?? 0) + 1;
$_SESSION['seen'][] = $_GET['route'] ?? '/';
$_SESSION['seen'] = array_slice($_SESSION['seen'], -10);

$container = new Container();
$container->set(Catalog::class, fn() => new Catalog(new PDO('sqlite::memory:')));
$container->set(View::class, fn() => new View(__DIR__ . '/templates'));
$request = Request::fromGlobals();
$router = new Router();
$router->get('#^/$#', fn() => $container->get(View::class)->render('home', ['title' => 'Home']));
$router->get('#^/products$#', function (Request $r) use ($container) {
    $page = max(1, (int) $r->query('page', '1'));
    $items = $container->get(Catalog::class)->page($page, 20);
    return $container->get(View::class)->render('list', ['title' => 'Products', 'items' => $items]);
});
$router->get('#^/products/(?<id>\d+)$#', function (Request $r, array $m) use ($container) {
    $item = $container->get(Catalog::class)->find((int) $m['id']);
    return $container->get(View::class)->render('item', ['title' => $item['name'], 'item' => $item]);
});
$router->get('#^/api/products$#', function () use ($container) {
    header('Content-Type: application/json');
    $items = $container->get(Catalog::class)->page(1, 50);
    $json = json_encode(['items' => $items, 'count' => count($items)], JSON_PRETTY_PRINT);
    return json_encode(json_decode($json, true, 512, JSON_THROW_ON_ERROR));
});
$router->post('#^/products/(?<id>\d+)/review$#', function (Request $r, array $m) {
    $errors = (new Train\Validator())->check($r->post(), [
        'name' => 'required|max:40', 'email' => 'required|email', 'stars' => 'required|int:1:5']);
    if ($errors) {
        http_response_code(200);
        return implode("\n", array_map('htmlspecialchars', $errors));
    }
    setcookie('reviewed', $m['id'], ['expires' => time() + 3600, 'httponly' => true]);
    header('Location: /products/' . $m['id'], true, 302);
    return '';
});
$router->post('#^/upload$#', function () {
    $out = [];
    foreach ($_FILES as $name => $file) {
        if ($file['error'] === UPLOAD_ERR_OK && is_uploaded_file($file['tmp_name'])) {
            $out[] = sprintf('%s %s %d %s', $name, basename($file['name']), $file['size'],
                hash_file('sha256', $file['tmp_name']));
        }
    }
    return implode("\n", $out);
});
$router->get('#^/feed$#', fn() => Train\Feed::render(Text::sample()));
$router->get('#^/text$#', fn() => Text::format(Text::sample()));

ob_start();
try {
    echo $router->dispatch($request);
} catch (Train\Http\NotFound $e) {
    http_response_code(404);
    echo 'not found: ', htmlspecialchars($e->getMessage());
} finally {
    header('X-Visits: ' . $_SESSION['visits']);
}
ob_end_flush();
