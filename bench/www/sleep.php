<?php
// I/O-bound: 20 ms waiting, as for a database or an API.
usleep(20000);
echo "slept\n";
