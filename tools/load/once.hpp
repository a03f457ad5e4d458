#pragma once
// --once: one request, the answer printed as cgi-fcgi would (STDOUT, CGI headers included, to
// stdout; STDERR to stderr). Returns the process exit code.
#include <string>

#include "options.hpp"

namespace zfpm::load {

// 0: END_REQUEST with REQUEST_COMPLETE and a CGI Status below 500.
// 1: no answer (connect error, timeout, connection closed, malformed records).
// 3: an answer, but an error one: Status >= 500 or a protocol status other than REQUEST_COMPLETE.
int run_once(const Options& options, const std::string& wire);

}  // namespace zfpm::load
