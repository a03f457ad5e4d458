#include "zfpm/fcgi/body.hpp"

#include <algorithm>
#include <cstring>

namespace zfpm::fcgi {

bool Body::append(std::span<const char> bytes, const BodyStorage& storage, std::string* error) {
  if (bytes.empty()) return true;
  if (!spool_ &&
      (memory_.size() > storage.memory_limit ||
       bytes.size() > storage.memory_limit - memory_.size()) &&
      storage.spool_factory) {
    auto spool = storage.spool_factory(error);
    if (!spool) return false;
    // Everything moves, so that a spooled body is read from one place.
    if (!memory_.empty() && !spool->append(memory_, error)) return false;
    spool_ = std::move(spool);
    std::string().swap(memory_);  // give the memory back now, not when the request ends
  }
  if (spool_) {
    if (!spool_->append(bytes, error)) return false;
  } else {
    memory_.append(bytes.data(), bytes.size());
  }
  size_ += bytes.size();
  return true;
}

void Body::reserve(std::uint64_t expected, const BodyStorage& storage) {
  // Past the limit the body is spooled, or (without a spool) grows only as bytes arrive.
  if (spool_ || expected <= memory_.capacity() || expected > storage.memory_limit) return;
  memory_.reserve(static_cast<std::size_t>(expected));
}

std::size_t Body::read(std::uint64_t offset, std::span<char> out) const {
  if (offset >= size_ || out.empty()) return 0;
  if (spool_) return spool_->read(offset, out);
  const std::size_t n =
      std::min<std::uint64_t>(out.size(), memory_.size() - static_cast<std::size_t>(offset));
  std::memcpy(out.data(), memory_.data() + offset, n);
  return n;
}

std::string Body::to_string() const {
  if (!spool_) return memory_;
  std::string out(static_cast<std::size_t>(size_), '\0');
  std::size_t filled = 0;
  while (filled < out.size()) {
    std::size_t n = read(filled, std::span<char>(out.data() + filled, out.size() - filled));
    if (n == 0) break;
    filled += n;
  }
  out.resize(filled);
  return out;
}

}  // namespace zfpm::fcgi
