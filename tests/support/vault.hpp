#pragma once
// make_vault: the credential vault of a unit test, on a keyring file in the test's temp dir.
#include "support/temp_dir.hpp"

#include <enfinito/crypto/vault.hpp>

namespace enfinito::test {

/** A vault over `dir`/vault.keys, the keyring created on the first call and read again on
    later ones (so a key added to the file in between shows); fails the test on error. */
crypto::vault make_vault(const temp_dir& dir);

}  // namespace enfinito::test
