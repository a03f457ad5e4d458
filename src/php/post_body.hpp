#pragma once
// How PHP gets a POST body that zfpm already holds in memory. PHP's own reader
// (SAPI.c: sapi_read_standard_form_data) copies the body through read_post into a temp stream
// that spills to a file past 16 KiB (SAPI_POST_BLOCK_SIZE), then reads it back to decode $_POST:
// for a 1 MiB form, a temp file written, read and unlinked per request. php-fpm does the same
// because it reads the body from its socket as it goes; zfpm has the whole body before the
// script starts (fcgi/body.hpp), so the request's body stream is a memory stream over one copy
// of it. Everything else (spooled bodies, REQUEST_BODY_FILE, post_max_size and its warnings)
// stays with PHP's reader. Private to php/.

namespace zfpm::php::post_body {

// Once, after module startup: the reader PHP uses for content types without a handler.
void install();

// Before each request's startup: the reader of application/x-www-form-urlencoded, whichever
// entry holds it now (mbstring.encoding_translation swaps PHP's entry for its own when the
// setting changes).
void prefer_memory();

}  // namespace zfpm::php::post_body
