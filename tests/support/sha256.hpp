// SHA-256 (FIPS 180-4) for the integration tests: uploads and moved files are checked against the
// hash PHP reports without a dependency on a crypto library.
#pragma once

#include <string>
#include <string_view>

namespace zfpm::test {

// Lowercase hex, as PHP's hash('sha256', ...) prints it.
std::string sha256_hex(std::string_view bytes);

}  // namespace zfpm::test
