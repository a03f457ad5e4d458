#include "php_fpm.hpp"

#include "socket.hpp"

namespace zfpm::test {

PhpFpm::PhpFpm(const std::vector<std::string>& extra_args)
    : address_("127.0.0.1:" + std::to_string(free_tcp_port())) {
  if (!is_executable(php_fpm_binary)) {
    throw TestError(std::string("the reference php-fpm is missing: ") + php_fpm_binary);
  }
  // clear_env = no: the workers see the same environment as zfpm, which inherits it whole.
  std::string conf = "[global]\nerror_log = " + dir.file("php-fpm.log") + "\n";
  conf += "[compat]\nlisten = " + address_ + "\n";
  conf += "pm = static\npm.max_children = 2\nuser = root\ngroup = root\nclear_env = no\n";
  std::vector<std::string> argv{
      php_fpm_binary, "-n", "-F", "-y", dir.write("php-fpm.conf", conf), "-R"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process.start(argv);
  process.wait_until_connectable(address_);
}

}  // namespace zfpm::test
