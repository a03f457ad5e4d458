<?php
declare(strict_types=1);

namespace Train;

use Train\Http\{NotFound, Request};

final class Router
{
    private array $routes = [];

    public function get(string $pattern, callable $handler): void
    {
        $this->routes['GET'][$pattern] = $handler;
    }

    public function post(string $pattern, callable $handler): void
    {
        $this->routes['POST'][$pattern] = $handler;
    }

    public function dispatch(Request $request): string
    {
        foreach ($this->routes[$request->method] ?? [] as $pattern => $handler) {
            if (preg_match($pattern, $request->path, $matches)) {
                return (string) $handler($request, array_filter($matches, 'is_string', ARRAY_FILTER_USE_KEY));
            }
        }
        throw new NotFound($request->method . ' ' . $request->path);
    }
}
