<?php
declare(strict_types=1);

namespace Train\Http;

final class Request
{
    public function __construct(
        public readonly string $method,
        public readonly string $path,
        private readonly array $query,
        private readonly array $form,
        public readonly array $headers,
    ) {
    }

    public static function fromGlobals(): self
    {
        $headers = [];
        foreach ($_SERVER as $key => $value) {
            if (str_starts_with($key, 'HTTP_')) {
                $headers[strtolower(str_replace('_', '-', substr($key, 5)))] = $value;
            }
        }
        $path = parse_url('http://localhost' . ($_GET['route'] ?? '/'), PHP_URL_PATH) ?: '/';
        return new self($_SERVER['REQUEST_METHOD'] ?? 'GET', $path, $_GET, $_POST, $headers);
    }

    public function query(string $name, ?string $default = null): ?string
    {
        return isset($this->query[$name]) ? (string) $this->query[$name] : $default;
    }

    public function post(): array
    {
        return $this->form;
    }
}
