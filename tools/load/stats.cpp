#include "stats.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace zfpm::load {

namespace {

constexpr int kSubBits = 10;                       // 1024 buckets per power of two
constexpr std::uint64_t kLinear = 2u << kSubBits;  // values below are their own bucket
constexpr int kMaxShift = 26;                      // values up to 2^(kSubBits + 1 + 26)
constexpr std::size_t kBucketCount = kLinear + kMaxShift * (1u << kSubBits);

std::size_t bucket_of(std::uint64_t v) {
  if (v < kLinear) return v;
  int shift = std::bit_width(v) - (kSubBits + 1);
  if (shift > kMaxShift) return kBucketCount - 1;
  // (v >> shift) is in [1024, 2048): its low bits select the sub-bucket.
  return kLinear + (shift - 1) * (1u << kSubBits) + ((v >> shift) - (1u << kSubBits));
}

// The largest value a bucket holds, so percentiles never under-report.
std::uint64_t bucket_top(std::size_t index) {
  if (index < kLinear) return index;
  std::size_t shift = (index - kLinear) / (1u << kSubBits) + 1;
  std::uint64_t sub = (index - kLinear) % (1u << kSubBits) + (1u << kSubBits);
  return ((sub + 1) << shift) - 1;
}

}  // namespace

LatencyHistogram::LatencyHistogram() : buckets_(kBucketCount, 0) {}

void LatencyHistogram::record(std::uint64_t micros) {
  ++buckets_[bucket_of(micros)];
  ++count_;
  sum_ += micros;
  max_ = std::max(max_, micros);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

std::uint64_t LatencyHistogram::percentile(double fraction) const {
  if (count_ == 0) return 0;
  auto rank = static_cast<std::uint64_t>(std::ceil(fraction * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(bucket_top(i), max_);
  }
  return max_;
}

void Stats::merge(const Stats& other) {
  latency.merge(other.latency);
  requests += other.requests;
  connections_opened += other.connections_opened;
  unanswered += other.unanswered;
  connect_errors += other.connect_errors;
  protocol_errors += other.protocol_errors;
  timeouts += other.timeouts;
  io_errors += other.io_errors;
  status_errors += other.status_errors;
  bytes_received += other.bytes_received;
}

}  // namespace zfpm::load
