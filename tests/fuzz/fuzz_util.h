// fuzz_util.h — helpers shared by the libFuzzer targets and the seed generator.
//
// Everything here is deterministic: the fuzzers must behave the same on every
// run, and the seed generator must write the same files every time (the
// fuzz.seeds_up_to_date test checks that the committed corpus is its output).
#ifndef YESNO_TESTS_FUZZ_FUZZ_UTIL_H_
#define YESNO_TESTS_FUZZ_FUZZ_UTIL_H_

#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "yesno/bytes.h"
#include "yesno/rng.h"
#include "yesno/secret_bytes.h"

// FUZZ_CHECK stops the fuzzer (a crash libFuzzer reports and saves) when a
// property the target asserts does not hold.
#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

namespace yesno::fuzz {

// DeterministicRng is a ChaCha20 stream under a fixed key: the same sequence
// of Fill calls always yields the same bytes.
class DeterministicRng final : public Rng {
 public:
  explicit DeterministicRng(uint8_t seed) { std::memset(key_, seed, sizeof(key_)); }
  void Fill(std::span<uint8_t> out) override {
    uint8_t nonce[crypto_stream_chacha20_NONCEBYTES] = {};
    for (std::size_t i = 0; i < sizeof(nonce); ++i) nonce[i] = static_cast<uint8_t>(counter_ >> (8 * i));
    ++counter_;
    if (out.empty()) return;
    std::memset(out.data(), 0, out.size());
    crypto_stream_chacha20_xor(out.data(), out.data(), out.size(), nonce, key_);
  }

 private:
  uint8_t key_[crypto_stream_chacha20_KEYBYTES];
  uint64_t counter_ = 0;
};

// ScriptedRng hands out the given bytes in order and traps if asked for more
// (a target that scripts a nonce must know how much randomness a call takes).
class ScriptedRng final : public Rng {
 public:
  explicit ScriptedRng(ByteView bytes) : bytes_(bytes) {}
  void Fill(std::span<uint8_t> out) override {
    FUZZ_CHECK(out.size() <= bytes_.size());
    if (out.empty()) return;
    std::memcpy(out.data(), bytes_.data(), out.size());
    bytes_ = bytes_.subspan(out.size());
  }

 private:
  ByteView bytes_;
};

// FixedKey is a 32-byte secret filled with `fill` (ticket, wallet and vnonce
// keys of the targets; never a real key).
inline SecretBytes FixedKey(uint8_t fill) { return SecretBytes(32, fill); }

// The verifier fixture: one trusted issuer key (committed below, RSA-2048,
// made with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`
// for these tests only), its issuer, claim and window, and the verifier's
// origin, vnonce key and clock.
inline constexpr std::string_view kIssuerName = "issuer.example";
inline constexpr std::string_view kClaim = "age_over_18";
inline constexpr std::string_view kOrigin = "https://shop.example";
inline constexpr int64_t kNow = 1700000100;
inline constexpr int64_t kKeyNotBefore = 1699000000;
inline constexpr int64_t kKeyNotAfter = 1702000000;
inline constexpr uint8_t kVnonceKeyFill = 0x56;
inline constexpr uint8_t kTicketKeyFill = 0x71;
inline constexpr uint8_t kWalletKeyFill = 0x77;

inline constexpr char kFixtureRsaKeyPem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCorh6BIXgA+Sz8\n"
    "5r1wC3uacWaEucBJEUhFABhWxvodPW4CgDARh+nOTMNKqUCbrJYTZulodhMpTsHJ\n"
    "b5Ae7v9dY/u9EUIKjXaxu/Rp49mkqNJwMhC3uS5KHSes01RyRMBgnddDvL5ekLB8\n"
    "Qa6pwprYMNGdqPw5C8p968swMFLKqmbn74ZYTKnqRrja+Q3H8YGT0a+ofdlmuGyl\n"
    "bQBXbiM4UmNyRzYwvRkBiT7qTwPWacdXCNQzu97z/ge0BHW99WVpkIvDcKelcPRw\n"
    "HHMzq/uwXrUsofGikn3WOiqgYEe8bNyJsfwuebvj98PipfvJIXMYCcafoUWqnHaC\n"
    "1OZpaHInAgMBAAECggEAUJcMBPcIHjLunw/g31jlH5dhezVCHMbQiALxHfioA/NX\n"
    "DYPQM3gDqWh8f73Ym+f7td5b0uhi5D/4DzUpntXiFO0Rl7XYnzESTf12W2cck3KD\n"
    "RE5vNVAYwRkn3QcE2Cln3mFbOUZCj+zCHUPGXt4W3AaLB6/2fYzYHIxdAjN8Qs4a\n"
    "LAI+6ruVXTQ0XFAmNwB/whYoX1izjySXYuBCKa8JM+hqCQda/f72RI9CZXxZEj4b\n"
    "D8daZaJtXR9lyS0+kcVuueuAPN1MQRw9HB+tL8FvVHGrFlccJ/0h5a5HF2Em51UD\n"
    "h5f8mTV/5SsOy29xVEZ02H+f+deoFO/WEI/OjtK6OQKBgQDqJAmq21ghY+bUNkN0\n"
    "UHWHzaCOjvrXWrUPpvFINCtBqmkh4GWmfhWBQWJsLba7VHxT5pdEge9NLJVfaC1l\n"
    "K9pclaqN/OYk8ufI64azjp9n8BILTmLcez10/4tvlTMHy0795SzKARooI6aJFY+J\n"
    "N5bUUjg/LQ28cZ4LweMuziyFuQKBgQC4bZK93v0LK2R6sybr5BQ81AWrq0VxtOOw\n"
    "hgW3T/xmzTuNHJQAGO+Hy42ALrqC3tp+GwwCz7p7/msVEnDdJOVX4sn5qxLkVK42\n"
    "ltbkSBJaTM+H7xhpHYbiTIQzkD7xuA7EDcCWnNOYt3vOWQVBacWCor1u03nifZP+\n"
    "yZyZ1jqm3wKBgQCuYYy5rYdjxu3h21A9zrbaH/GWezKjNbFoKOPG7OPSkkKesmvC\n"
    "pmEJ1VKiUyGnP3MhYboDkepSRgQx/HriwNhu4CEYguQ9XJP4dkHqdSyP0qL9vLGw\n"
    "mDDbdH+66RoKkgcQ3aCQCmYawwKDUoWGoto448t0ce+rC8uz4gF7mJ5cMQKBgGqp\n"
    "vJehcrnWA8vO9zCwfV/cw9bQPF6R3qmGKaImWXTfN5TaNWKFCWuBNzouTGJKHxWV\n"
    "8PFjUJhLwYSzYKEVqKqWmHeUEF4L96HMxUXLxQmCqPgWOQj6MbuJw1/LCgxkhe2v\n"
    "gnXZB6uoWqsx4w887CUsl+CT4Ec0l7ZgxfhW5R8DAoGALgQKbnrSajkKgh2zT0It\n"
    "nyjJbBFvhOtrGrf6h4dQb0LqBJxzgXrRBuc2RNM1ry1aiPhH2jk/yZemT6AOMsGQ\n"
    "gITyRW7CfqnRa8qL+ssOArPo4jhLMHZkpQfuRXT35/B2jIWk6/hT50QMH2Sk5jUW\n"
    "Nz9GhNu27i893s4payMSnyQ=\n"
    "-----END PRIVATE KEY-----\n";

}  // namespace yesno::fuzz

#endif  // YESNO_TESTS_FUZZ_FUZZ_UTIL_H_
