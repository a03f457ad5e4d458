<?php
declare(strict_types=1);

namespace Train;

// A wiki-like text formatter: what content sites spend their time in (regular expressions,
// multibyte strings, escaping, word wrapping).
final class Text
{
    public static function sample(): string
    {
        $para = "Ünïcode *text* with a [[link|Some page]], **bold** words, `code` and an "
            . "e-mail address: someone@example.org. Zürich, Kraków, Łódź; 3 < 4 & 5 > 2.";
        return "= Title =\n\n" . implode("\n\n", array_fill(0, 12, $para)) . "\n\n* one\n* two\n";
    }

    public static function format(string $text): string
    {
        $html = htmlspecialchars($text, ENT_QUOTES, 'UTF-8');
        $html = preg_replace('/^= (.+) =$/m', '<h1>$1</h1>', $html);
        $html = preg_replace('/\*\*(.+?)\*\*/', '<b>$1</b>', $html);
        $html = preg_replace('/\*(.+?)\*/', '<i>$1</i>', $html);
        $html = preg_replace('/`(.+?)`/', '<code>$1</code>', $html);
        $html = preg_replace_callback('/\[\[([^|\]]+)\|([^\]]+)\]\]/', fn($m) => sprintf(
            '<a href="/wiki/%s">%s</a>', rawurlencode(mb_strtolower($m[1])), $m[2]), $html);
        $html = preg_replace('/^\* (.+)$/m', '<li>$1</li>', $html);
        $words = str_word_count(strip_tags($html));
        $paragraphs = array_map(fn($p) => '<p>' . wordwrap(trim($p), 78, "\n", true) . '</p>',
            preg_split('/\n{2,}/', $html));
        $toc = array_unique(array_map('mb_strtoupper', preg_split('/\W+/u', strip_tags($html), 20)));
        return implode("\n", $paragraphs) . sprintf("\n<!-- %d words, %s, %s -->",
            $words, md5($html), implode(',', array_slice($toc, 0, 5)));
    }
}
