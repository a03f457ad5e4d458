<?php
declare(strict_types=1);

namespace Train\Http;

final class NotFound extends \RuntimeException
{
}
