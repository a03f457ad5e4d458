#pragma once
// fpm_get_status() (fpm_main.c, fpm_status.c: fpm_status_export_to_zval): the status page's data
// as a PHP array with hyphenated keys. Registered by the zfpm module (extension.cpp).
#include "sapi.hpp"

namespace zfpm::php {

ZEND_FUNCTION(fpm_get_status);

}  // namespace zfpm::php
