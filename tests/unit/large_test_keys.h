// large_test_keys.h — RSA-3072 and RSA-4096 keys shared by the unit tests.
//
// Keygen at these sizes takes up to seconds, so each key is generated at most
// once per test binary, on first use (inline function statics are shared by
// every translation unit).
#ifndef YESNO_TESTS_UNIT_LARGE_TEST_KEYS_H_
#define YESNO_TESTS_UNIT_LARGE_TEST_KEYS_H_

#include "yesno/blind_rsa.h"

namespace yesno::testing {

inline const RsaPrivateKey& TestKey3072() {
  static const RsaPrivateKey key = *RsaPrivateKey::Generate(3072);
  return key;
}

inline const RsaPrivateKey& TestKey4096() {
  static const RsaPrivateKey key = *RsaPrivateKey::Generate(4096);
  return key;
}

}  // namespace yesno::testing

#endif  // YESNO_TESTS_UNIT_LARGE_TEST_KEYS_H_
