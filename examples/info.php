<?php
// Everything PHP knows about itself and this request, from the SAPI serving it.
phpinfo();
