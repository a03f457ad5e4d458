#pragma once
// What SG(server_context) points at while a request runs on a worker thread: the decoded request
// and the worker's output sink. Private to php/.
#include <cstddef>
#include <cstdint>
#include <string>

#include "request_body_file.hpp"
#include "request_env.hpp"
#include "zfpm/fcgi/output_sink.hpp"
#include "zfpm/fcgi/request.hpp"

namespace zfpm::php {

// Per worker thread: what zfpm_worker_info() reports.
struct WorkerIdentity {
  unsigned id = 0;
  long tid = 0;
  std::uint64_t requests = 0;
};

struct RequestContext {
  const WorkerIdentity* worker = nullptr;
  const fcgi::Request* request = nullptr;
  fcgi::OutputSink* sink = nullptr;
  std::size_t body_offset = 0;  // how much of the body read_post has handed out
  RequestBodyFile body_file;    // REQUEST_BODY_FILE, once read_post has opened it
  std::string script_path;      // the resolved primary script ("" when none was found)
  RequestEnv env;               // the params as init_request_info left them: $_SERVER, getenv()
  bool log_started = false;     // a message went to FCGI_STDERR already (the next gets "; ")
  bool finished = false;        // fastcgi_finish_request() ended the response
};
}  // namespace zfpm::php
