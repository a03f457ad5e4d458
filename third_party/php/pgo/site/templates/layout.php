<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title><?= $this->e($title) ?> · Training shop</title></head>
<body>
<nav><?php foreach (['/' => 'Home', '/products' => 'Products', '/text' => 'Text'] as $href => $label): ?>
  <a href="?route=<?= urlencode($href) ?>"><?= $this->e($label) ?></a>
<?php endforeach ?></nav>
<main><?= $content ?></main>
<footer>Visits: <?= (int) $_SESSION['visits'] ?> · <?= date('D, d M Y H:i', 1700000000) ?></footer>
</body></html>
