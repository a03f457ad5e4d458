<h1><?= $this->e($title) ?></h1>
<dl>
<?php foreach ($item as $key => $value): ?>
  <dt><?= $this->e(ucfirst(str_replace('_', ' ', $key))) ?></dt><dd><?= $this->e($value) ?></dd>
<?php endforeach ?>
</dl>
<form method="post" action="?route=/products/<?= $item['id'] ?>/review">
  <input name="name"><input name="email"><input name="stars" type="number">
</form>
