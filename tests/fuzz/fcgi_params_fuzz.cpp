// libFuzzer target for the name-value pair decoder (PARAMS, GET_VALUES): arbitrary bytes under
// small and default limits, and a round trip: whatever decodes, re-encoded, decodes the same.
// Crashes, sanitizer reports and broken invariants are findings; a decode error is not.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "zfpm/fcgi/params.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void decode(const std::string& bytes, const zfpm::fcgi::ParamLimits& limits) {
  std::string error;
  bool over_limit = false;
  const auto params = zfpm::fcgi::Params::decode(bytes, limits, &error, &over_limit);
  check(params.has_value() == error.empty());
  if (!params) return;
  check(!over_limit);
  check(params->size() <= limits.max_count);
  std::string again;
  for (std::size_t i = 0; i < params->size(); ++i) {
    const auto pair = (*params)[i];
    check(pair.name.size() <= limits.max_name_length);
    check(pair.value.size() <= limits.max_value_length);
    // Borrowed as C strings by PHP: a NUL right after each.
    check(pair.name.data()[pair.name.size()] == '\0');
    check(pair.value.data()[pair.value.size()] == '\0');
    zfpm::fcgi::append_name_value(again, pair.name, pair.value);
  }
  const auto round_trip = zfpm::fcgi::Params::decode(again, limits, &error);
  check(round_trip.has_value() && round_trip->size() == params->size());
  for (std::size_t i = 0; i < params->size(); ++i) {
    check((*round_trip)[i].name == (*params)[i].name);
    check((*round_trip)[i].value == (*params)[i].value);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  decode(bytes,
         zfpm::fcgi::ParamLimits{.max_count = 8, .max_name_length = 32, .max_value_length = 64});
  decode(bytes, zfpm::fcgi::ParamLimits{});
  return 0;
}
