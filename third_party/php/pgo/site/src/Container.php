<?php
declare(strict_types=1);

namespace Train;

final class Container
{
    /** @var array<string, \Closure> */
    private array $factories = [];
    /** @var array<string, object> */
    private array $instances = [];

    public function set(string $id, \Closure $factory): void
    {
        $this->factories[$id] = $factory;
    }

    /** @template T @param class-string<T> $id @return T */
    public function get(string $id): object
    {
        return $this->instances[$id] ??= ($this->factories[$id] ?? throw new \LogicException($id))();
    }
}
