#include "once.hpp"

#include <cstdint>
#include <iostream>
#include <limits>

#include "exchange.hpp"

namespace zfpm::load {

int run_once(const Options& options, const std::string& wire) {
  asio::io_context io(1);
  auto exchange =
      std::make_shared<Exchange>(io, make_endpoint(options.target), wire, /*keep_alive=*/false,
                                 std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(options.timeout_seconds)),
                                 std::numeric_limits<std::size_t>::max());
  int code = 1;
  exchange->start([&](const ExchangeResult& r) {
    const ResponseReader& response = *r.response;
    // Whatever arrived is shown, even from a failed exchange: it is the best clue to the failure.
    std::cout << response.stdout_data() << std::flush;
    std::cerr << response.stderr_data();
    switch (r.outcome) {
      case Outcome::complete: {
        auto status = response.http_status();
        code = status && *status >= 500 ? 3 : 0;
        if (!status) std::cerr << "zfpm-load: no CGI header block in the response\n";
        break;
      }
      case Outcome::protocol_error:
        std::cerr << "zfpm-load: " << r.error << "\n";
        code = response.state() == ResponseReader::State::complete ? 3 : 1;
        break;
      case Outcome::timeout:
        std::cerr << "zfpm-load: no END_REQUEST within " << options.timeout_seconds << " s\n";
        break;
      case Outcome::connect_error:
        std::cerr << "zfpm-load: connect: " << r.error << "\n";
        break;
      case Outcome::io_error:
        std::cerr << "zfpm-load: " << r.error << "\n";
        break;
    }
  });
  io.run();
  return code;
}

}  // namespace zfpm::load
