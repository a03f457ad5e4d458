/* The training run of libphp's profile-guided build (third_party/php/build.sh, docs/building.md).
 *
 * A minimal web SAPI over the instrumented libphp.so: it starts PHP once, then runs one script as
 * REPEAT web requests, each with the method, query string, cookie and body given, through the
 * same steps a FastCGI server takes (request startup with $_GET/$_POST/$_COOKIE/$_FILES decoded
 * by PHP, the script, headers and output, request shutdown), with opcache on, so that the
 * profile sees the paths a server's requests take rather than those of a command-line run.
 * Output is thrown away (ZFPM_PGO_SHOW=1 prints it); a script that fails (a PHP message logged,
 * or a status of 500 or more) fails the run.
 *
 * usage: train INI REPEAT SCRIPT METHOD QUERY COOKIE [CONTENT_TYPE BODY_FILE]
 */
#include <main/php.h>
#include <main/php_main.h>
#include <main/php_variables.h>
#include <main/SAPI.h>
#include <TSRM.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *body;
static size_t body_length, body_read;
static char *cookie;
static char *content_type;
static const char *script, *method, *query;
static int failed;
static int show;

static size_t train_ub_write(const char *text, size_t length) {
  if (show) fwrite(text, 1, length, stdout);
  return length;
}

static void train_flush(void *server_context) { (void)server_context; }

static void train_send_header(sapi_header_struct *header, void *server_context) {
  (void)header;
  (void)server_context;
}

static size_t train_read_post(char *buffer, size_t length) {
  size_t n = body_length - body_read < length ? body_length - body_read : length;
  memcpy(buffer, body + body_read, n);
  body_read += n;
  return n;
}

static char *train_read_cookies(void) { return cookie; }

/* What nginx's fastcgi_params sends for a request from a browser. */
static void train_register_variables(zval *track_vars) {
  static const char *const fixed[][2] = {
      {"SCRIPT_NAME", "/index.php"},        {"REQUEST_URI", "/index.php"},
      {"DOCUMENT_URI", "/index.php"},       {"DOCUMENT_ROOT", "/srv/www"},
      {"SERVER_PROTOCOL", "HTTP/1.1"},      {"REQUEST_SCHEME", "http"},
      {"GATEWAY_INTERFACE", "CGI/1.1"},     {"SERVER_SOFTWARE", "nginx/1.22.1"},
      {"REMOTE_ADDR", "127.0.0.1"},         {"REMOTE_PORT", "51234"},
      {"SERVER_ADDR", "127.0.0.1"},         {"SERVER_PORT", "80"},
      {"SERVER_NAME", "localhost"},         {"REDIRECT_STATUS", "200"},
      {"HTTP_HOST", "localhost"},           {"HTTP_USER_AGENT", "Mozilla/5.0 (X11; Linux x86_64)"},
      {"HTTP_ACCEPT", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
      {"HTTP_ACCEPT_LANGUAGE", "en-GB,en;q=0.8"}, {"HTTP_ACCEPT_ENCODING", "gzip, deflate"},
      {"HTTP_CONNECTION", "keep-alive"},
  };
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
    php_register_variable(fixed[i][0], (char *)fixed[i][1], track_vars);
  }
  php_register_variable("REQUEST_METHOD", (char *)method, track_vars);
  php_register_variable("QUERY_STRING", (char *)query, track_vars);
  php_register_variable("SCRIPT_FILENAME", (char *)script, track_vars);
  php_register_variable("CONTENT_TYPE", content_type ? content_type : "", track_vars);
  char length[24];
  snprintf(length, sizeof length, "%zu", body_length);
  php_register_variable("CONTENT_LENGTH", body ? length : "", track_vars);
  if (cookie && *cookie) php_register_variable("HTTP_COOKIE", cookie, track_vars);
}

static void train_log_message(const char *message, int syslog_type) {
  (void)syslog_type;
  fprintf(stderr, "train: %s\n", message);
  failed = 1;
}

static int train_startup(sapi_module_struct *module) { return php_module_startup(module, NULL); }

/* Named as php-fpm's SAPI, so that opcache (which only runs under servers' SAPIs) is on. */
static sapi_module_struct train_module = {
    "fpm-fcgi", "zfpm PGO training", train_startup, php_module_shutdown_wrapper, NULL, NULL,
    train_ub_write, train_flush, NULL, NULL, php_error, NULL, NULL, train_send_header,
    train_read_post, train_read_cookies, train_register_variables, train_log_message, NULL, NULL,
    STANDARD_SAPI_MODULE_PROPERTIES};

static char *read_file(const char *path, size_t *length) {
  FILE *file = fopen(path, "rb");
  if (!file) return NULL;
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  fseek(file, 0, SEEK_SET);
  char *data = malloc(size > 0 ? (size_t)size : 1);
  *length = fread(data, 1, size > 0 ? (size_t)size : 0, file);
  fclose(file);
  return data;
}

static int run_request(void) {
  SG(server_context) = (void *)&train_module; /* any non-NULL: PHP reads the body and cookies */
  SG(request_info).request_method = method;
  SG(request_info).query_string = (char *)query;
  SG(request_info).request_uri = "/index.php";
  SG(request_info).path_translated = (char *)script; /* PHP frees it only when it opens it */
  SG(request_info).content_type = content_type;
  SG(request_info).content_length = (zend_long)body_length;
  SG(sapi_headers).http_response_code = 200;
  body_read = 0;
  if (php_request_startup() == FAILURE) return 0;
  zend_file_handle handle;
  zend_stream_init_filename(&handle, script);
  php_execute_script(&handle);
  zend_destroy_file_handle(&handle);
  int status = SG(sapi_headers).http_response_code;
  php_request_shutdown(NULL);
  return status < 500;
}

int main(int argc, char **argv) {
  if (argc != 7 && argc != 9) {
    fprintf(stderr, "usage: train INI REPEAT SCRIPT METHOD QUERY COOKIE [CONTENT_TYPE BODY]\n");
    return 2;
  }
  long repeat = strtol(argv[2], NULL, 10);
  show = getenv("ZFPM_PGO_SHOW") != NULL;
  script = argv[3];
  method = argv[4];
  query = argv[5];
  cookie = argv[6];
  if (argc == 9) {
    content_type = argv[7];
    body = read_file(argv[8], &body_length);
    if (!body) {
      fprintf(stderr, "train: cannot read %s\n", argv[8]);
      return 1;
    }
  }

  php_tsrm_startup();
  sapi_startup(&train_module);
  train_module.php_ini_path_override = argv[1];
  train_module.php_ini_ignore_cwd = 1;
  if (train_module.startup(&train_module) == FAILURE) return 1;
  for (long i = 0; i < repeat && !failed; i++) {
    if (!run_request()) {
      fprintf(stderr, "train: %s (%s %s) failed in request %ld\n", script, method, query, i + 1);
      failed = 1;
    }
  }
  php_module_shutdown();
  sapi_shutdown();
  tsrm_shutdown();
  free(body);
  return failed;
}
