#pragma once
// The C boundary: PHP's SAPI callbacks and the zfpm extension module. Everything PHP calls into
// lives in sapi.cpp; policy lives above it.
extern "C" {
#include <SAPI.h>
#include <php.h>
}

namespace zfpm::php {

extern sapi_module_struct sapi;
extern zend_module_entry extension;

}  // namespace zfpm::php
