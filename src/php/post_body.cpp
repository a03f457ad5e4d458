#include "post_body.hpp"

#include <algorithm>
#include <cstring>

#include "request_context.hpp"
#include "sapi.hpp"

extern "C" {
#include <main/php_content_types.h>
#include <main/php_memory_streams.h>
}

namespace zfpm::php::post_body {

namespace {

// SAPI_POST_READER_FUNC: what sapi_read_standard_form_data does, from memory.
void read_form_data() {
  auto* ctx = static_cast<RequestContext*>(SG(server_context));
  const zend_long length = SG(request_info).content_length;
  const auto memory = ctx ? ctx->request->body.in_memory() : std::nullopt;
  const char* body_file = ctx ? ctx->env.get("REQUEST_BODY_FILE") : nullptr;
  if (!memory || (body_file && *body_file) || length <= 0 || ctx->body_offset != 0 ||
      (SG(post_max_size) > 0 && length > SG(post_max_size))) {
    sapi_read_standard_form_data();
    return;
  }
  // As read_post: never past CONTENT_LENGTH, whatever came on STDIN.
  const std::size_t n = std::min(static_cast<std::size_t>(length), memory->size());
  // The copy counts against memory_limit, where PHP's temp stream keeps 16 KiB: a body that
  // would take more than a quarter of what the script has left goes through PHP's reader.
  const zend_long limit = PG(memory_limit);
  const auto left = static_cast<zend_long>(limit - static_cast<zend_long>(zend_memory_usage(0)));
  if (limit > 0 && static_cast<zend_long>(n) > left / 4) {
    sapi_read_standard_form_data();
    return;
  }
  zend_string* data = zend_string_init(memory->data(), n, 0);
  SG(request_info).request_body = php_stream_memory_open(TEMP_STREAM_DEFAULT, data);
  zend_string_release(data);
  SG(read_post_bytes) = static_cast<int64_t>(n);
  SG(post_read) = 1;  // php://input reads the stream, and asks read_post for nothing more
  ctx->body_offset = n;
}

// main/php_content_types.c: php_default_post_reader, with the reader above.
void read_unknown_type() {
  const char* method = SG(request_info).request_method;
  if (method && std::strcmp(method, "POST") == 0 && !SG(request_info).post_entry) {
    read_form_data();
  }
}

}  // namespace

void install() { sapi_register_default_post_reader(read_unknown_type); }

void prefer_memory() {
  auto* entry = static_cast<sapi_post_entry*>(
      zend_hash_str_find_ptr(&SG(known_post_content_types), DEFAULT_POST_CONTENT_TYPE,
                             sizeof(DEFAULT_POST_CONTENT_TYPE) - 1));
  if (entry && entry->post_reader == sapi_read_standard_form_data) {
    entry->post_reader = read_form_data;
  }
}

}  // namespace zfpm::php::post_body
