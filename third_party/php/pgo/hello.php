<?php
// The smallest request: what every request pays for around its script.
echo 'Hello from ', $_SERVER['REQUEST_METHOD'], ' ', $_GET['n'] ?? '-', "\n";
