#include "sockets.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <map>
#include <string_view>

#include "zfpm/net/listener.hpp"

namespace zfpm::proc {
namespace {

constexpr const char* kEnvName = "FPM_SOCKETS";

// "addr=fd,addr=fd" from the environment (then removed from it: PHP must not see it).
std::map<std::string, int> take_inherited() {
  std::map<std::string, int> inherited;
  const char* value = std::getenv(kEnvName);
  if (!value) return inherited;
  std::string_view text = value;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view entry = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    auto eq = entry.rfind('=');
    if (eq == std::string_view::npos) continue;
    int fd = -1;
    auto digits = entry.substr(eq + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), fd);
    if (ec != std::errc{} || fd < 0) continue;
    std::string name(entry.substr(0, eq));
    spdlog::info("using inherited socket fd={}, \"{}\"", fd, name);
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    inherited.emplace(std::move(name), fd);
  }
  ::unsetenv(kEnvName);
  return inherited;
}

std::string unix_path_of(int fd) {
  sockaddr_un address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "";
  if (address.sun_family != AF_UNIX || address.sun_path[0] == '\0') return "";
  return address.sun_path;
}

}  // namespace

bool open_sockets(const Plan& plan, std::vector<std::vector<BoundSocket>>& sockets) {
  auto inherited = take_inherited();
  sockets.clear();
  sockets.resize(plan.pools.size());
  for (std::size_t i = 0; i < plan.pools.size(); ++i) {
    const auto& pool = plan.pools[i];
    std::vector<std::pair<net::ListenAddress, bool>> wanted;
    for (const auto& address : pool.addresses) wanted.emplace_back(address, false);
    for (const auto& address : pool.status_addresses) wanted.emplace_back(address, true);
    for (const auto& [address, status] : wanted) {
      BoundSocket socket;
      socket.name = net::to_string(address);
      socket.status = status;
      if (auto* unix_address = std::get_if<net::UnixAddress>(&address)) {
        socket.unix_path = unix_address->path;
      }
      if (auto found = inherited.find(socket.name); found != inherited.end()) {
        socket.fd.reset(found->second);
        inherited.erase(found);
      } else {
        std::string error;
        socket.fd.reset(net::Listener::bind(address, pool.server.listen, &error));
        if (!socket.fd) {
          spdlog::error("{}", error);
          return false;
        }
      }
      sockets[i].push_back(std::move(socket));
    }
  }
  // Sockets of pools that are gone after a reload.
  for (const auto& [name, fd] : inherited) {
    std::string path = unix_path_of(fd);
    ::close(fd);
    if (!path.empty()) ::unlink(path.c_str());
  }
  return true;
}

std::string export_sockets(const std::vector<std::vector<BoundSocket>>& sockets) {
  std::string value;
  for (const auto& pool : sockets) {
    for (const auto& socket : pool) {
      int flags = ::fcntl(socket.fd.get(), F_GETFD);
      if (flags >= 0) ::fcntl(socket.fd.get(), F_SETFD, flags & ~FD_CLOEXEC);
      if (!value.empty()) value += ',';
      value += socket.name + "=" + std::to_string(socket.fd.get());
    }
  }
  return value;
}

void close_sockets(std::vector<std::vector<BoundSocket>>& sockets) {
  for (auto& pool : sockets) {
    for (auto& socket : pool) {
      socket.fd.reset();
      if (!socket.unix_path.empty()) ::unlink(socket.unix_path.c_str());
    }
  }
}

}  // namespace zfpm::proc
