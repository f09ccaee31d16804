// test_util.h — helpers shared by yesno's tests.
#ifndef YESNO_TESTS_TESTING_TEST_UTIL_H_
#define YESNO_TESTS_TESTING_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <deque>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "testing/build_paths.h"
#include "yesno/blind_rsa.h"
#include "yesno/bytes.h"
#include "yesno/rng.h"

namespace yesno::testing {

// ScriptedRng hands out exactly the bytes it was given, in order, then
// fails the test (and returns zeros) if asked for more.
class ScriptedRng final : public Rng {
 public:
  ScriptedRng() = default;
  void Push(ByteView bytes) { script_.insert(script_.end(), bytes.begin(), bytes.end()); }
  void Fill(std::span<uint8_t> out) override;
  std::size_t remaining() const { return script_.size(); }

 private:
  std::deque<uint8_t> script_;
};

// DeterministicRng is a deterministic (non-cryptographic) Rng for tests that need
// many reproducible random bytes.
class DeterministicRng final : public Rng {
 public:
  explicit DeterministicRng(uint64_t seed) : state_(seed) {}
  void Fill(std::span<uint8_t> out) override;

 private:
  uint64_t state_;
};

// PrivateDir makes a fresh, empty directory <gtest TempDir>/yesno_<tag>_<pid>_<name>
// with mode 0700 (the wallet refuses a directory others can read) and
// returns its path. It is not removed afterwards.
std::string PrivateDir(std::string_view tag, std::string_view name);

// YearsAgo is today's date `years` years back, as YYYY-MM-DD (29 February
// becomes the 28th): the birth date of someone who turned `years` today.
std::string YearsAgo(int years);

// Hex decodes a hex literal or fails the test.
Bytes Hex(std::string_view hex);

// LoadVectors parses tests/vectors/data/<relative_path>.
nlohmann::json LoadVectors(std::string_view relative_path);

// TestKeys returns process-wide RSA keys, generated once (RSA keygen is slow).
const RsaPrivateKey& TestKey2048();
const RsaPrivateKey& OtherTestKey2048();

// FlipBit returns `in` with bit `bit` flipped.
Bytes FlipBit(ByteView in, std::size_t bit);

}  // namespace yesno::testing

#endif  // YESNO_TESTS_TESTING_TEST_UTIL_H_
