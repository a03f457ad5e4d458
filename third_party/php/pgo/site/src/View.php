<?php
declare(strict_types=1);

namespace Train;

// PHP templates with escaping helpers, rendered into a layout through output buffering.
final class View
{
    public function __construct(private readonly string $dir)
    {
    }

    public function render(string $name, array $data): string
    {
        $content = $this->capture($name, $data);
        return $this->capture('layout', $data + ['content' => $content]);
    }

    public function e(mixed $value): string
    {
        return htmlspecialchars((string) $value, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
    }

    private function capture(string $name, array $data): string
    {
        extract($data, EXTR_SKIP);
        ob_start();
        include $this->dir . "/$name.php";
        return (string) ob_get_clean();
    }
}
