<?php
declare(strict_types=1);

namespace Train;

final class Validator
{
    /** @return list<string> */
    public function check(array $input, array $rules): array
    {
        $errors = [];
        foreach ($rules as $field => $spec) {
            $value = trim((string) ($input[$field] ?? ''));
            foreach (explode('|', $spec) as $rule) {
                [$name, $args] = array_pad(explode(':', $rule, 2), 2, '');
                $error = match ($name) {
                    'required' => $value === '' ? "$field is required" : null,
                    'max' => mb_strlen($value) > (int) $args ? "$field is too long" : null,
                    'email' => filter_var($value, FILTER_VALIDATE_EMAIL) ? null : "$field: bad e-mail",
                    'int' => $this->range($value, ...array_map('intval', explode(':', $args)))
                        ? null : "$field is out of range",
                };
                if ($error !== null) {
                    $errors[] = $error;
                    break;
                }
            }
        }
        return $errors;
    }

    private function range(string $value, int $min, int $max): bool
    {
        return ctype_digit($value) && (int) $value >= $min && (int) $value <= $max;
    }
}
