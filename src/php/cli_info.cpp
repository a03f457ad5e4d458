// -i and -m, as php-fpm answers them (fpm_main.c: the 'i' and 'm' cases).
#include <unistd.h>

#include <cstdio>

#include "zfpm/cli/exit_code.hpp"
#include "zfpm/php/runtime.hpp"

extern "C" {
#include <TSRM.h>
#include <main/php.h>
#include <main/php_main.h>
#include <main/SAPI.h>
#include <ext/standard/info.h>
#include <Zend/zend_extensions.h>
}

namespace zfpm::php {
namespace {

int module_name_compare(Bucket* a, Bucket* b) {
  auto* left = static_cast<zend_module_entry*>(Z_PTR(a->val));
  auto* right = static_cast<zend_module_entry*>(Z_PTR(b->val));
  return strcasecmp(left->name, right->name);
}

void print_zend_extension(zend_extension* extension) { std::printf("%s\n", extension->name); }

// Output outside a request goes to stderr (sapi.cpp); these commands answer on stdout.
template <typename Body>
int with_stdout_as_output(const RuntimeSettings& settings, Body body) {
  if (!startup(settings)) return cli::to_int(cli::ExitCode::Software);
  std::fflush(stderr);
  int saved = ::dup(STDERR_FILENO);
  ::dup2(STDOUT_FILENO, STDERR_FILENO);
  body();
  std::fflush(stdout);
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  shutdown();
  return 0;
}

}  // namespace

int print_info(const RuntimeSettings& settings) {
  return with_stdout_as_output(settings, [] {
    sapi_module.phpinfo_as_text = 1;
    if (php_request_startup() == FAILURE) return;
    php_print_info(PHP_INFO_ALL & ~PHP_INFO_CREDITS);
    php_output_end_all();
    php_request_shutdown(nullptr);
  });
}

int print_modules(const RuntimeSettings& settings) {
  return with_stdout_as_output(settings, [] {
    HashTable sorted;
    zend_hash_init(&sorted, zend_hash_num_elements(&module_registry), nullptr, nullptr, 1);
    zend_hash_copy(&sorted, &module_registry, nullptr);
    zend_hash_sort(&sorted, module_name_compare, 0);
    std::printf("[PHP Modules]\n");
    zval* entry;
    ZEND_HASH_FOREACH_VAL(&sorted, entry) {
      std::printf("%s\n", static_cast<zend_module_entry*>(Z_PTR_P(entry))->name);
    }
    ZEND_HASH_FOREACH_END();
    std::printf("\n[Zend Modules]\n");
    zend_llist_apply(&zend_extensions, reinterpret_cast<llist_apply_func_t>(print_zend_extension));
    std::printf("\n");
    zend_hash_destroy(&sorted);
  });
}

}  // namespace zfpm::php
