#include "environment.hpp"

#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "request_context.hpp"
#include "sapi.hpp"

extern "C" {
#include <main/SAPI.h>
#include <main/php_variables.h>
}

extern char** environ;

namespace zfpm::php::environment {
namespace {

struct Variable {
  std::string name;
  std::string value;
};
std::vector<Variable> snapshot_;  // written once before any worker exists, then read-only

struct Change {
  std::string name;
  std::optional<std::string> value;  // nullopt: putenv("NAME") removed it
};
thread_local std::vector<Change> changes_;  // this thread's putenv()s during the request

const Change* find_change(std::string_view name) {
  for (const Change& change : changes_) {
    if (change.name == name) return &change;
  }
  return nullptr;
}

bool in_snapshot(std::string_view name) {
  for (const Variable& variable : snapshot_) {
    if (variable.name == name) return true;
  }
  return false;
}

// main/php_variables.c: valid_environment_name.
bool valid_name(std::string_view name) {
  return !name.empty() && name.find_first_of(" .[") == std::string_view::npos;
}

// environ as this thread would see it after its putenv()s: changed values in place, removed
// ones skipped, new ones at the end (glibc's putenv order). Allocates nothing, so PHP may bail
// out of `visit`.
template <typename F>
void for_each_variable(F&& visit) {
  for (const Variable& variable : snapshot_) {
    const Change* change = find_change(variable.name);
    if (!change) {
      visit(std::string_view(variable.name), std::string_view(variable.value));
    } else if (change->value) {
      visit(std::string_view(variable.name), std::string_view(*change->value));
    }
  }
  for (const Change& change : changes_) {
    if (change.value && !in_snapshot(change.name)) {
      visit(std::string_view(change.name), std::string_view(*change.value));
    }
  }
}

std::optional<std::string_view> lookup(std::string_view name) {
  if (const Change* change = find_change(name)) {
    if (!change->value) return std::nullopt;
    return std::string_view(*change->value);
  }
  for (const Variable& variable : snapshot_) {
    if (variable.name == name) return std::string_view(variable.value);
  }
  return std::nullopt;
}

// main/php_variables.c: _php_import_environment_variables, on the snapshot.
void import_snapshot(zval* array) {
  HashTable* table = Z_ARRVAL_P(array);
  for_each_variable([table](std::string_view name, std::string_view value) {
    if (!valid_name(name)) return;
    zval entry;
    ZVAL_STRINGL_FAST(&entry, value.data(), value.size());
    zend_symtable_str_update(table, name.data(), name.size(), &entry);
  });
}

RequestContext* current() { return static_cast<RequestContext*>(SG(server_context)); }

// fpm_main.c: cgi_php_import_environment_variables — $_SERVER and $_ENV are the environment
// plus the request's params (through the input filter), newest first; whichever of the two is
// built second copies the first.
void import_environment(zval* array) {
  for (int track : {TRACK_VARS_ENV, TRACK_VARS_SERVER}) {
    zval* built = &PG(http_globals)[track];
    if (Z_TYPE_P(built) == IS_ARRAY && Z_ARR_P(array) != Z_ARR_P(built) &&
        zend_hash_num_elements(Z_ARRVAL_P(built)) > 0) {
      zend_array_destroy(Z_ARR_P(array));
      Z_ARR_P(array) = zend_array_dup(Z_ARR_P(built));
      return;
    }
  }
  import_snapshot(array);
  RequestContext* ctx = current();
  if (!ctx) return;
  int filter = Z_ARR_P(array) == Z_ARR(PG(http_globals)[TRACK_VARS_ENV]) ? PARSE_ENV : PARSE_SERVER;
  ctx->env.for_each([array, filter](const RequestEnv::Entry& entry) {
    char* value = const_cast<char*>(entry.value.data());
    size_t new_length = 0;
    if (sapi_module.input_filter(filter, entry.name.data(), &value, std::strlen(value),
                                 &new_length)) {
      php_register_variable_safe(entry.name.data(), value, new_length, array);
    }
  });
}

// fpm_main.c: cgi_php_load_environment_variables — getenv() without arguments: the
// environment, then the params unfiltered.
void load_environment(zval* array) {
  import_snapshot(array);
  RequestContext* ctx = current();
  if (!ctx) return;
  ctx->env.for_each([array](const RequestEnv::Entry& entry) {
    php_register_variable_safe(entry.name.data(), entry.value.data(), entry.value.size(), array);
  });
}

bool put(std::string_view setting) noexcept {
  try {
    auto eq = setting.find('=');
    std::string_view name = setting.substr(0, eq);
    std::optional<std::string> value;
    if (eq != std::string_view::npos) value.emplace(setting.substr(eq + 1));
    for (Change& change : changes_) {
      if (change.name == name) {
        change.value = std::move(value);
        return true;
      }
    }
    changes_.push_back(Change{std::string(name), std::move(value)});
    return true;
  } catch (...) {
    return false;
  }
}

// ext/standard/basic_functions.c: PHP_FUNCTION(putenv), on this thread's overlay.
ZEND_FUNCTION(zfpm_putenv) {
  char* setting = nullptr;
  size_t setting_length = 0;
  ZEND_PARSE_PARAMETERS_START(1, 1)
  Z_PARAM_STRING(setting, setting_length)
  ZEND_PARSE_PARAMETERS_END();
  if (setting_length == 0 || setting[0] == '=') {
    zend_argument_value_error(1, "must have a valid syntax");
    RETURN_THROWS();
  }
  RETURN_BOOL(put(std::string_view(setting, std::strlen(setting))));
}

// ext/standard/basic_functions.c: PHP_FUNCTION(getenv): the params first (unless local_only),
// then the environment as this thread sees it.
ZEND_FUNCTION(zfpm_getenv) {
  char* name = nullptr;
  size_t name_length = 0;
  bool local_only = false;
  ZEND_PARSE_PARAMETERS_START(0, 2)
  Z_PARAM_OPTIONAL
  Z_PARAM_STRING_OR_NULL(name, name_length)
  Z_PARAM_BOOL(local_only)
  ZEND_PARSE_PARAMETERS_END();
  if (!name) {
    array_init(return_value);
    php_load_environment_variables(return_value);
    return;
  }
  if (!local_only) {
    if (char* param = sapi_getenv(name, name_length)) {  // emalloc'd, filtered
      RETVAL_STRING(param);
      efree(param);
      return;
    }
  }
  auto value = lookup(std::string_view(name, std::strlen(name)));
  if (!value) RETURN_FALSE;
  RETURN_STRINGL(value->data(), value->size());
}

}  // namespace

void startup() {
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text(*entry);
    auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;  // malformed, as PHP skips it
    snapshot_.push_back(
        Variable{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))});
  }
  php_import_environment_variables = import_environment;
  php_load_environment_variables = load_environment;
}

void override_functions() {
  // Each worker thread has its own copy of the function table (compiler_globals_ctor), so this
  // changes only the calling thread's putenv/getenv.
  replace_function_handler("putenv", ZEND_FN(zfpm_putenv));
  replace_function_handler("getenv", ZEND_FN(zfpm_getenv));
}

void reset_thread() { changes_.clear(); }

}  // namespace zfpm::php::environment
