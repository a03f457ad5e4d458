<h1><?= $this->e($title) ?> (<?= count($items) ?>)</h1>
<table>
<?php foreach ($items as $i => $item): ?>
  <tr class="<?= $i % 2 ? 'odd' : 'even' ?>">
    <td><a href="?route=/products/<?= $item['id'] ?>"><?= $this->e($item['name']) ?></a></td>
    <td><?= $this->e($item['label']) ?></td><td><?= $this->e($item['price_text']) ?></td>
    <td><?= $item['stock'] > 0 ? sprintf('%d left', $item['stock']) : 'sold out' ?></td>
  </tr>
<?php endforeach ?>
</table>
