#pragma once
// What a pool child's PHP code writes to its stdout and stderr (php://stderr, fwrite(STDERR),
// a library's messages): php-fpm's catch_workers_output and decorate_workers_output
// (fpm_stdio.c). Without catch_workers_output the output goes to /dev/null, as in php-fpm; with
// it, a thread reads both streams and logs each line, decorated
//   WARNING: [pool www] child 1234 said into stderr: "the line"
// or raw (decorate_workers_output = no). Lines are never cut: a line over 64 KiB is logged in
// pieces, each marked with "..." where it continues. Private to proc/.
#include <string>
#include <thread>

#include "zfpm/config/pool.hpp"
#include "zfpm/unique_fd.hpp"

namespace zfpm::proc {

class WorkerOutput {
 public:
  WorkerOutput() = default;
  WorkerOutput(const WorkerOutput&) = delete;
  WorkerOutput& operator=(const WorkerOutput&) = delete;
  ~WorkerOutput() { stop(); }

  // Takes over stdout and stderr (the log keeps its own copy of stderr). False when a pipe
  // cannot be made (logged); the streams are then left as they were.
  bool start(const config::PoolConfig& pool);
  // Closes the pipes, logs what is left, joins the reader.
  void stop();

 private:
  void read_loop(UniqueFd out_fd, UniqueFd err_fd);

  std::string pool_;
  bool decorate_ = true;
  std::thread reader_;
};

}  // namespace zfpm::proc
