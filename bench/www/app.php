<?php
// A small routing + templating workload: match the request against a route table, build a
// view model, render it through a template with escaping and loops.
$routes = [];
foreach (['users', 'posts', 'comments', 'tags', 'orders', 'products', 'carts', 'invoices'] as $r) {
    $routes["#^/$r$#"] = [$r, 'index'];
    $routes["#^/$r/(\d+)$#"] = [$r, 'show'];
    $routes["#^/$r/(\d+)/edit$#"] = [$r, 'edit'];
}
$path = $_GET['route'] ?? '/products/42';
$match = null;
foreach ($routes as $pattern => $target) {
    if (preg_match($pattern, $path, $m)) {
        $match = [$target, $m[1] ?? null];
        break;
    }
}
[$target, $id] = $match ?? [['home', 'index'], null];

$rows = [];
for ($i = 1; $i <= 50; $i++) {
    $rows[] = [
        'id' => $i,
        'name' => "Item <$i> & \"friends\"",
        'price' => sprintf('%.2f', $i * 3.7),
        'tags' => array_map(fn($t) => "tag$t", range(1, $i % 5 + 1)),
    ];
}
$title = ucfirst($target[0]) . ' / ' . $target[1] . ($id !== null ? " #$id" : '');

function e(string $s): string { return htmlspecialchars($s, ENT_QUOTES, 'UTF-8'); }

ob_start();
?>
<!doctype html>
<html><head><title><?= e($title) ?></title></head>
<body>
<h1><?= e($title) ?></h1>
<table>
<?php foreach ($rows as $row): ?>
  <tr><td><?= $row['id'] ?></td><td><?= e($row['name']) ?></td><td><?= $row['price'] ?></td>
  <td><?= e(implode(', ', $row['tags'])) ?></td></tr>
<?php endforeach; ?>
</table>
</body></html>
<?php
echo ob_get_clean();
