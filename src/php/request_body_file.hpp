#pragma once
// REQUEST_BODY_FILE (fpm_main.c: sapi_cgi_read_post): nginx's client_body_in_file_only writes
// the body to a file and passes its name; read_post then reads the body from that file instead of
// STDIN. Opened at the first read, closed when the request's context goes. Private to php/.
#include <cstddef>
#include <span>

namespace zfpm::php {

class RequestBodyFile {
 public:
  RequestBodyFile() = default;
  RequestBodyFile(const RequestBodyFile&) = delete;
  RequestBodyFile& operator=(const RequestBodyFile&) = delete;
  ~RequestBodyFile();

  bool is_open() const { return fd_ >= 0; }
  // Opens path for reading; false with errno set when it cannot.
  bool open(const char* path);
  // Fills out from where the last read stopped, until it is full or the file ends; returns how
  // many bytes (0 at the end or on a read error, as php-fpm's loop stops there).
  std::size_t read(std::span<char> out);

 private:
  int fd_ = -1;
};

}  // namespace zfpm::php
