<?php
// DokuWiki from Debian's package (/usr/share/dokuwiki) rendering a page, with its configuration and
// data in the bench's folder (scripts/bench writes them into apps/dokuwiki/ and copies the pages
// Debian ships); Debian's inc/preload.php takes DOKU_CONF when it is already defined.
define('DOKU_CONF', __DIR__ . '/apps/dokuwiki/conf/');
require '/usr/share/dokuwiki/doku.php';
