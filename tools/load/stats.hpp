#pragma once
// What a run counts: a fixed-size latency histogram and the error tallies. One Stats per I/O
// thread, merged after the run, so the hot path takes no locks.
#include <cstdint>
#include <vector>

namespace zfpm::load {

// Log-linear buckets over microseconds: exact below 2048 µs, then 1024 buckets per power of two
// (under 0.1% error), up to ~2^36 µs (19 hours; larger values land in the last bucket). About
// 26k counters, whatever the number of requests: memory does not grow with the run.
class LatencyHistogram {
 public:
  LatencyHistogram();
  void record(std::uint64_t micros);
  void merge(const LatencyHistogram& other);

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0; }
  // The value at or below which `fraction` (0..1) of the samples lie; 0 with no samples.
  std::uint64_t percentile(double fraction) const;

 private:
  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0, sum_ = 0, max_ = 0;
};

struct Stats {
  LatencyHistogram latency;
  std::uint64_t requests = 0;            // responses that reached END_REQUEST
  std::uint64_t connections_opened = 0;  // successful connects
  std::uint64_t connect_errors = 0;
  std::uint64_t protocol_errors = 0;  // malformed records, protocol status other than COMPLETE
  std::uint64_t timeouts = 0;
  std::uint64_t io_errors = 0;      // connection reset or closed before END_REQUEST
  std::uint64_t status_errors = 0;  // a complete response whose CGI Status: is >= 500
  std::uint64_t bytes_received = 0;
  // Requests still unanswered when the run ended that had waited kUnansweredAfter or longer: a
  // server that leaves some connections unserved (a php-fpm child bound to another keep-alive
  // connection) shows here, not in the latency, which only completed requests make.
  std::uint64_t unanswered = 0;

  std::uint64_t errors() const {
    return connect_errors + protocol_errors + timeouts + io_errors + status_errors;
  }
  void merge(const Stats& other);
};

}  // namespace zfpm::load
