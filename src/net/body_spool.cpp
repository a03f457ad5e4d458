#include "zfpm/net/body_spool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace zfpm::net {
namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

std::unique_ptr<TempFileSpool> TempFileSpool::create(const std::string& directory,
                                                     std::string* error) {
  int fd = ::open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    // Older kernels and some file systems (overlayfs on old kernels, NFS) lack O_TMPFILE.
    std::string path = directory + "/zfpm-body.XXXXXX";
    fd = ::mkostemp(path.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(path.c_str());
  }
  if (fd < 0) {
    if (error) *error = errno_text("cannot create a temporary file in '" + directory + "'");
    return nullptr;
  }
  return std::unique_ptr<TempFileSpool>(new TempFileSpool(UniqueFd(fd)));
}

bool TempFileSpool::append(std::span<const char> bytes, std::string* error) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pwrite(fd_.get(), bytes.data() + done, bytes.size() - done,
                         static_cast<off_t>(size_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (error) *error = errno_text("cannot write the request body to its temporary file");
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  size_ += done;
  return true;
}

std::size_t TempFileSpool::read(std::uint64_t offset, std::span<char> out) const {
  while (true) {
    ssize_t n = ::pread(fd_.get(), out.data(), out.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }
}

std::string body_spool_directory(const std::string& configured) {
  if (!configured.empty()) return configured;
  const char* tmpdir = std::getenv("TMPDIR");
  return tmpdir && *tmpdir ? tmpdir : "/tmp";
}

fcgi::SpoolFactory temp_file_spool_factory(std::string directory) {
  return
      [directory = std::move(directory)](std::string* error) -> std::unique_ptr<fcgi::BodySpool> {
        return TempFileSpool::create(directory, error);
      };
}

}  // namespace zfpm::net
