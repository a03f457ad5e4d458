<?php
declare(strict_types=1);

namespace Train;

// An Atom feed built with DOM, read back with SimpleXML.
final class Feed
{
    public static function render(string $text): string
    {
        header('Content-Type: application/atom+xml');
        $doc = new \DOMDocument('1.0', 'UTF-8');
        $feed = $doc->appendChild($doc->createElementNS('http://www.w3.org/2005/Atom', 'feed'));
        $feed->appendChild($doc->createElement('title', 'Training feed'));
        foreach (array_slice(explode("\n\n", $text), 0, 8) as $i => $para) {
            $entry = $feed->appendChild($doc->createElement('entry'));
            $entry->appendChild($doc->createElement('id', 'urn:train:' . sha1((string) $i)));
            $entry->appendChild($doc->createElement('updated', date(DATE_ATOM, 1700000000 + $i)));
            $entry->appendChild($doc->createElement('summary'))->appendChild($doc->createTextNode($para));
        }
        $xml = $doc->saveXML();
        $read = simplexml_load_string($xml);
        return $xml . '<!-- ' . count($read->entry) . ' entries -->';
    }
}
