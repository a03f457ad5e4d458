<?php
declare(strict_types=1);

namespace Train;

// Products in an SQLite database made for the request, read with prepared statements.
final class Catalog
{
    public function __construct(private readonly \PDO $db)
    {
        $db->setAttribute(\PDO::ATTR_ERRMODE, \PDO::ERRMODE_EXCEPTION);
        $db->exec('CREATE TABLE product (id INTEGER PRIMARY KEY, name TEXT, price REAL,
            stock INTEGER, category TEXT, added TEXT)');
        $insert = $db->prepare('INSERT INTO product (name, price, stock, category, added)
            VALUES (?, ?, ?, ?, ?)');
        $db->beginTransaction();
        for ($i = 1; $i <= 120; $i++) {
            $insert->execute([ucwords("product number $i"), round($i * 1.37, 2), $i % 17,
                Category::cases()[$i % 3]->value, date('Y-m-d H:i:s', 1700000000 + $i * 86400)]);
        }
        $db->commit();
    }

    /** @return list<array<string, mixed>> */
    public function page(int $page, int $size): array
    {
        $select = $this->db->prepare('SELECT * FROM product ORDER BY price DESC LIMIT ? OFFSET ?');
        $select->bindValue(1, $size, \PDO::PARAM_INT);
        $select->bindValue(2, ($page - 1) * $size, \PDO::PARAM_INT);
        $select->execute();
        return array_map(fn(array $row) => $this->present($row), $select->fetchAll(\PDO::FETCH_ASSOC));
    }

    public function find(int $id): array
    {
        $select = $this->db->prepare('SELECT * FROM product WHERE id = :id');
        $select->execute(['id' => $id]);
        return $this->present($select->fetch(\PDO::FETCH_ASSOC) ?: throw new Http\NotFound("product $id"));
    }

    private function present(array $row): array
    {
        $category = Category::from($row['category']);
        $added = new \DateTimeImmutable($row['added'], new \DateTimeZone('UTC'));
        return $row + [
            'label' => $category->label(),
            'price_text' => number_format((float) $row['price'], 2, ',', ' ') . ' €',
            'age' => $added->diff(new \DateTimeImmutable('2026-01-01'))->days,
            'slug' => trim(preg_replace('/[^a-z0-9]+/', '-', strtolower($row['name'])), '-'),
        ];
    }
}
