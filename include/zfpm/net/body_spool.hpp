#pragma once
// Request bodies past the memory threshold go to an unlinked temporary file: O_TMPFILE where the
// file system has it, else mkstemp + unlink. Nothing is left on disk whatever happens to zfpm,
// and the descriptor is close-on-exec so a PHP exec() never inherits it.
#include <memory>
#include <string>
#include <utility>

#include "zfpm/fcgi/body.hpp"
#include "zfpm/unique_fd.hpp"

namespace zfpm::net {

class TempFileSpool final : public fcgi::BodySpool {
 public:
  // In `directory`; null, with *error set, when no file can be made there.
  static std::unique_ptr<TempFileSpool> create(const std::string& directory, std::string* error);

  bool append(std::span<const char> bytes, std::string* error) override;
  std::size_t read(std::uint64_t offset, std::span<char> out) const override;

 private:
  explicit TempFileSpool(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
  std::uint64_t size_ = 0;
};

// The directory for spooled bodies: `configured` when set, else $TMPDIR, else /tmp (where PHP's
// own uploads go without upload_tmp_dir).
std::string body_spool_directory(const std::string& configured);

// A factory for the parser: spools in `directory`.
fcgi::SpoolFactory temp_file_spool_factory(std::string directory);

}  // namespace zfpm::net
