#pragma once
// Runs one FastCGI request through PHP on the calling worker thread.
#include "request_context.hpp"

namespace zfpm::php {

// Resolves the primary script: SCRIPT_FILENAME, else PATH_TRANSLATED, else document_root +
// SCRIPT_NAME; "" when none names a regular file.
std::string resolve_script(const fcgi::Params& params, const std::string& document_root);

// Startup, execute, shutdown, END_REQUEST. Never throws, never lets a bailout escape.
void execute(RequestContext& ctx);

}  // namespace zfpm::php
