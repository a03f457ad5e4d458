<?php
// Adminer from Debian's package (/usr/share/adminer): its login page, one 470 KiB script.
include '/usr/share/adminer/adminer.php';
