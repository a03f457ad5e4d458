<?php
declare(strict_types=1);

namespace Train;

enum Category: string
{
    case Books = 'books';
    case Garden = 'garden';
    case Kitchen = 'kitchen';

    public function label(): string
    {
        return match ($this) {
            self::Books => 'Books & paper',
            self::Garden => 'Garden',
            self::Kitchen => 'Kitchen <tools>',
        };
    }
}
