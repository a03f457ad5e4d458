<?php
// Answers with what PHP decoded from the POST body.
echo count($_POST), ' ', strlen($_POST['data'] ?? ''), ' ', count($_FILES), "\n";
