// The .user.ini cache's rules: php-fpm's expiry (rescan when now > scanned + ttl), immutable
// entries that outlive their replacement, and a bound on the number of folders.
#include "php/user_ini_cache.hpp"

#include <doctest/doctest.h>

using zfpm::php::UserIniCache;
using zfpm::php::UserIniSettings;

TEST_CASE("an entry is found until its time-to-live has passed, then it is rescanned") {
  UserIniCache cache;
  cache.store("/srv/www/", 1000, 300, {{"precision", "5"}});

  REQUIRE(cache.find("/srv/www/", 1000));
  CHECK((*cache.find("/srv/www/", 1300))[0].second == "5");
  CHECK_FALSE(cache.find("/srv/www/", 1301));
  CHECK_FALSE(cache.find("/srv/www/other/", 1000));
}

TEST_CASE("a ttl of 0 keeps an entry for the rest of the second it was scanned in") {
  UserIniCache cache;
  cache.store("/a/", 50, 0, {});
  CHECK(cache.find("/a/", 50));
  CHECK_FALSE(cache.find("/a/", 51));
}

TEST_CASE("settings a request holds stay valid when another thread replaces them") {
  UserIniCache cache;
  auto held = cache.store("/a/", 10, 300, {{"memory_limit", "64M"}});
  cache.store("/a/", 10, 300, {{"memory_limit", "32M"}});

  CHECK((*held)[0].second == "64M");
  CHECK((*cache.find("/a/", 10))[0].second == "32M");
}

TEST_CASE("when full, expired folders go first, then everything") {
  UserIniCache cache(2);
  cache.store("/old/", 0, 1, {});
  cache.store("/fresh/", 10, 300, {});
  cache.store("/new/", 10, 300, {});  // /old/ expired at 1: dropped
  CHECK(cache.size() == 2);
  CHECK(cache.find("/fresh/", 10));

  cache.store("/newer/", 10, 300, {});  // nothing expired: start over
  CHECK(cache.size() == 1);
  CHECK(cache.find("/newer/", 10));
}
