#include "thread_state.hpp"

#include "sapi.hpp"

#include <langinfo.h>
#include <sched.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <clocale>
#include <cstring>

extern "C" {
#include <php.h>
// after php.h, which they need
#include <Zend/zend_operators.h>
#include <Zend/zend_smart_str.h>
}

namespace zfpm::php::thread_state {
namespace {

// setlocale() is process-wide, and PHP 8.2 resets LC_ALL to "C" at the end of any request that
// changed it — under every other thread. Here each thread gets its own locale object through
// uselocale(): the libc functions PHP relies on (localeconv, strcoll, strftime, toupper, ...)
// follow the calling thread's locale.
thread_local locale_t thread_locale_ = nullptr;

constexpr int kCategories[] = {LC_CTYPE,    LC_NUMERIC,   LC_TIME,        LC_COLLATE,
                               LC_MONETARY, LC_MESSAGES,  LC_PAPER,       LC_NAME,
                               LC_ADDRESS,  LC_TELEPHONE, LC_MEASUREMENT, LC_IDENTIFICATION};
constexpr const char* kCategoryNames[] = {
    "LC_CTYPE", "LC_NUMERIC", "LC_TIME",    "LC_COLLATE",   "LC_MONETARY",    "LC_MESSAGES",
    "LC_PAPER", "LC_NAME",    "LC_ADDRESS", "LC_TELEPHONE", "LC_MEASUREMENT", "LC_IDENTIFICATION"};

int category_mask(zend_long category) {
  if (category == LC_ALL) return LC_ALL_MASK;
  for (int c : kCategories) {
    if (c == category) return 1 << c;
  }
  return 0;
}

const char* category_name(int category) {
  return thread_locale_ ? nl_langinfo_l(_NL_LOCALE_NAME(category), thread_locale_)
                        : std::setlocale(category, nullptr);
}

// setlocale(category, NULL) for this thread: one name, or glibc's "LC_CTYPE=...;..." when the
// categories of LC_ALL differ.
zend_string* query(zend_long category) {
  if (category != LC_ALL) {
    const char* name = category_name(static_cast<int>(category));
    return name ? zend_string_init(name, std::strlen(name), 0) : nullptr;
  }
  const char* first = category_name(LC_CTYPE);
  bool same = true;
  for (int c : kCategories) same = same && std::strcmp(category_name(c), first) == 0;
  if (same) return zend_string_init(first, std::strlen(first), 0);
  smart_str out = {};
  for (std::size_t i = 0; i < std::size(kCategories); ++i) {
    if (i) smart_str_appendc(&out, ';');
    smart_str_appends(&out, kCategoryNames[i]);
    smart_str_appendc(&out, '=');
    smart_str_appends(&out, category_name(kCategories[i]));
  }
  return smart_str_extract(&out);
}

// ext/standard/string.c: try_setlocale_str, on this thread's locale.
zend_string* try_locale(zend_long category, zend_string* locale) {
  if (zend_string_equals_literal(locale, "0")) return query(category);
  if (ZSTR_LEN(locale) >= 255) {
    php_error_docref(nullptr, E_WARNING, "Specified locale name is too long");
    return nullptr;
  }
  int mask = category_mask(category);
  if (!mask) return nullptr;
  locale_t base = thread_locale_ ? thread_locale_ : duplocale(LC_GLOBAL_LOCALE);
  if (!base) return nullptr;
  locale_t changed = newlocale(mask, ZSTR_VAL(locale), base);
  if (!changed) {
    if (!thread_locale_) freelocale(base);
    return nullptr;
  }
  uselocale(changed);
  thread_locale_ = changed;  // newlocale reused or freed base
  if (category == LC_ALL || category == LC_CTYPE) zend_update_current_locale();
  if (ZSTR_LEN(locale) == 0) return query(category);  // "" picks names from the environment
  return zend_string_copy(locale);
}

zend_string* try_locale_zval(zend_long category, zval* value) {
  zend_string* tmp = nullptr;
  zend_string* locale = zval_try_get_tmp_string(value, &tmp);
  if (!locale) return nullptr;
  zend_string* result = try_locale(category, locale);
  zend_tmp_string_release(tmp);
  return result;
}

ZEND_FUNCTION(zfpm_setlocale) {
  zend_long category = 0;
  zval* args = nullptr;
  uint32_t count = 0;
  ZEND_PARSE_PARAMETERS_START(2, -1)
  Z_PARAM_LONG(category)
  Z_PARAM_VARIADIC('+', args, count)
  ZEND_PARSE_PARAMETERS_END();
  for (uint32_t i = 0; i < count; ++i) {
    if (Z_TYPE(args[i]) == IS_ARRAY) {
      zval* element;
      ZEND_HASH_FOREACH_VAL(Z_ARRVAL(args[i]), element) {
        zend_string* result = try_locale_zval(category, element);
        if (EG(exception)) RETURN_THROWS();
        if (result) RETURN_STR(result);
      }
      ZEND_HASH_FOREACH_END();
    } else {
      zend_string* result = try_locale_zval(category, &args[i]);
      if (EG(exception)) RETURN_THROWS();
      if (result) RETURN_STR(result);
    }
  }
  RETURN_FALSE;
}

}  // namespace

void confine_thread() {
  // A private fs_struct: umask() (and the real cwd, which PHP's virtual cwd does not use) now
  // belong to this thread. PHP restores the umask at request end (basic_functions.c RSHUTDOWN).
  // Docker's default seccomp profile refuses unshare() to a container without CAP_SYS_ADMIN:
  // said once per process, not once per thread.
  if (::unshare(CLONE_FS) != 0) {
    static std::atomic_flag said = ATOMIC_FLAG_INIT;
    if (!said.test_and_set()) {
      spdlog::warn("unshare(CLONE_FS) failed ({}): umask() is shared by all worker threads",
                   std::strerror(errno));
    }
  }
}

void override_functions() { replace_function_handler("setlocale", ZEND_FN(zfpm_setlocale)); }

void reset_after_request() {
  if (!thread_locale_) return;
  uselocale(LC_GLOBAL_LOCALE);
  freelocale(thread_locale_);
  thread_locale_ = nullptr;
  zend_update_current_locale();
}

}  // namespace zfpm::php::thread_state
