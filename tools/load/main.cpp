// zfpm-load: a FastCGI load generator and command-line FastCGI client. See docs/load-generator.md.
#include <iostream>
#include <system_error>
#include <variant>

#include "once.hpp"
#include "options.hpp"
#include "report.hpp"
#include "request.hpp"
#include "runner.hpp"

using namespace zfpm::load;

int main(int argc, char** argv) {
  auto parsed = parse_options(argc, argv);
  if (std::holds_alternative<HelpRequested>(parsed)) {
    std::cout << usage_text();
    return 0;
  }
  if (auto* usage = std::get_if<UsageError>(&parsed)) {
    std::cerr << "zfpm-load: " << usage->message << "\n" << usage_text();
    return 2;
  }
  const Options& options = std::get<Options>(parsed);

  std::string error;
  auto request = build_request(options, &error);
  if (!request) {
    std::cerr << "zfpm-load: " << error << "\n";
    return 2;
  }

  try {
    if (options.once) return run_once(options, request->wire);

    RunResult run = run_load(options, request->wire);
    RunSummary summary{options, run.stats, run.elapsed_seconds, run.interrupted};
    if (options.json) {
      print_json(std::cout, summary);
    } else {
      print_text(std::cout, summary);
    }
    // Nothing connected at all: the numbers above describe no server, say so in the exit code.
    return run.stats.connections_opened == 0 ? 1 : 0;
  } catch (const std::system_error& e) {
    // Socket setup that failed before any connect (e.g. out of file descriptors).
    std::cerr << "zfpm-load: " << e.what() << "\n";
    return 1;
  }
}
