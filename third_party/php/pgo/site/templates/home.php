<h1><?= $this->e($title) ?></h1>
<p>Recently seen: <?= $this->e(implode(', ', array_unique($_SESSION['seen']))) ?></p>
