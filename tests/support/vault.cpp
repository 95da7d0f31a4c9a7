#include "support/vault.hpp"

#include <enfinito/crypto/keyring.hpp>

#include <boost/test/unit_test.hpp>

#include <filesystem>

namespace enfinito::test {

crypto::vault make_vault(const temp_dir& dir) {
  const auto path = dir / "vault.keys";
  if (!std::filesystem::exists(path)) BOOST_TEST_REQUIRE(crypto::create_keyring_file(path).has_value());
  auto ring = crypto::load_keyring(path);
  BOOST_TEST_REQUIRE(ring.has_value());
  return crypto::vault(std::move(*ring));
}

}  // namespace enfinito::test
