// libFuzzer target for the FastCGI codec: arbitrary bytes into the record parser, split in two
// reads at a point taken from the input, and into Params::decode. Crashes, sanitizer reports and
// broken invariants (below) are findings; ProtocolError is not.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "zfpm/fcgi/params.hpp"
#include "zfpm/fcgi/parser.hpp"

namespace {

using zfpm::fcgi::Event;

void check(bool ok) {
  if (!ok) std::abort();
}

// Small limits so that the fuzzer reaches the limit paths with short inputs.
zfpm::fcgi::ParserLimits small_limits() {
  zfpm::fcgi::ParserLimits limits;
  limits.max_params_bytes = 4096;
  limits.max_body_bytes = 8192;
  limits.params.max_count = 16;
  limits.params.max_name_length = 64;
  limits.params.max_value_length = 512;
  return limits;
}

void check_events(const std::vector<Event>& events, const zfpm::fcgi::ParserLimits& limits) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    // Nothing may follow a protocol error.
    if (std::holds_alternative<zfpm::fcgi::ProtocolError>(events[i])) check(i + 1 == events.size());
    if (const auto* refused = std::get_if<zfpm::fcgi::OverLimit>(&events[i])) {
      check(refused->http_status == 413 || refused->http_status == 431);
    }
    if (const auto* ready = std::get_if<zfpm::fcgi::RequestReady>(&events[i])) {
      const auto& request = ready->request;
      check(request.body.size() <= limits.max_body_bytes);
      check(request.params.size() <= limits.params.max_count);
      for (std::size_t p = 0; p < request.params.size(); ++p) {
        check(request.params[p].name.size() <= limits.params.max_name_length);
        check(request.params[p].value.size() <= limits.params.max_value_length);
      }
    }
  }
}

void run_parser(std::span<const char> bytes, std::size_t cut,
                const zfpm::fcgi::ParserLimits& limits) {
  zfpm::fcgi::Parser parser(limits);
  std::vector<Event> events;
  parser.feed(bytes.first(cut), events);
  // A connection owner finishes each request it is handed; do the same between the two reads so
  // that keep-alive paths are reached too.
  for (const Event& e : events) {
    if (std::holds_alternative<zfpm::fcgi::RequestReady>(e) ||
        std::holds_alternative<zfpm::fcgi::OverLimit>(e)) {
      parser.request_finished();
    }
  }
  parser.feed(bytes.subspan(cut), events);
  check_events(events, limits);
  check(parser.failed() ==
        (!events.empty() && std::holds_alternative<zfpm::fcgi::ProtocolError>(events.back())));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the split point; the rest is the stream.
  const std::span<const char> bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t cut = bytes.empty() ? 0 : data[0] % (bytes.size() + 1);

  run_parser(bytes, cut, small_limits());
  run_parser(bytes, cut, zfpm::fcgi::ParserLimits{});

  std::string error;
  const auto params =
      zfpm::fcgi::Params::decode(std::string(bytes.begin(), bytes.end()), {}, &error);
  check(params.has_value() == error.empty());
  if (params) {
    // Walking backwards, the first pair seen for each name is the one find() must return.
    for (std::size_t i = params->size(); i-- > 0;) {
      const auto pair = (*params)[i];
      check(pair.name.data()[pair.name.size()] == '\0' &&
            pair.value.data()[pair.value.size()] == '\0');
      const auto found = params->find(pair.name);
      check(found.has_value());
      bool later_duplicate = false;
      for (std::size_t j = i + 1; j < params->size(); ++j) {
        later_duplicate = later_duplicate || (*params)[j].name == pair.name;
      }
      if (!later_duplicate) check(*found == pair.value && found->data() == pair.value.data());
    }
  }
  return 0;
}
