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

// Points an internal function of this thread's function table at another handler (each worker
// has its own copy of the table after ts_resource, so this touches no other thread).
void replace_function_handler(const char* name, zif_handler handler);

}  // namespace zfpm::php
