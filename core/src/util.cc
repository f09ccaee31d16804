// util.cc — errors, bytes, encodings, secrets, randomness and time.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <atomic>
#include <chrono>
#include <cstring>

#include "yesno/bytes.h"
#include "yesno/result.h"
#include "yesno/rng.h"
#include "yesno/secret_bytes.h"

namespace yesno {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kMalformedInput: return "malformed_input";
    case ErrorCode::kVerificationFailed: return "verification_failed";
    case ErrorCode::kCryptoFailure: return "crypto_failure";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

Bytes Concat(std::initializer_list<ByteView> parts) {
  std::size_t n = 0;
  for (ByteView p : parts) n += p.size();
  Bytes out;
  out.reserve(n);
  for (ByteView p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::string HexEncode(ByteView in) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(in.size() * 2);
  for (uint8_t b : in) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

Result<Bytes> HexDecode(std::string_view in) {
  if (in.size() >= 2 && in[0] == '0' && (in[1] == 'x' || in[1] == 'X')) in.remove_prefix(2);
  if (in.size() % 2 != 0) return MakeError(ErrorCode::kMalformedInput, "hex: odd length");
  if (in.empty()) return Bytes{};  // sodium_hex2bin must not get a null buffer
  Bytes out(in.size() / 2);
  std::size_t out_len = 0;
  if (sodium_hex2bin(out.data(), out.size(), in.data(), in.size(), nullptr, &out_len, nullptr) != 0 ||
      out_len != out.size()) {
    return MakeError(ErrorCode::kMalformedInput, "hex: bad character");
  }
  return out;
}

std::string Base64UrlEncode(ByteView in, bool padding) {
  const int variant = padding ? sodium_base64_VARIANT_URLSAFE : sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_encoded_len(in.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), in.data(), in.size(), variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

Result<Bytes> Base64UrlDecode(std::string_view in) {
  // libsodium 1.0.18 reads the input as (signed) char, and some bytes >= 0x80
  // then decode as '-' or '_' (found by tests/fuzz/encoding_fuzzer): check the
  // alphabet here so that every byte string has one encoding.
  for (char c : in) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
          c == '=')) {
      return MakeError(ErrorCode::kMalformedInput, "base64url: bad character");
    }
  }
  const bool padded = !in.empty() && in.back() == '=';
  const int variant = (padded || in.size() % 4 == 0) ? sodium_base64_VARIANT_URLSAFE
                                                      : sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  Bytes out(in.size() / 4 * 3 + 3);
  std::size_t out_len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), in.data(), in.size(), nullptr, &out_len, &end, variant) != 0 ||
      end != in.data() + in.size()) {
    return MakeError(ErrorCode::kMalformedInput, "base64url: bad encoding");
  }
  out.resize(out_len);
  return out;
}

namespace {
Bytes Digest(const EVP_MD* md, ByteView in) {
  Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
  unsigned int len = 0;
  if (EVP_Digest(in.data(), in.size(), out.data(), &len, md, nullptr) != 1) {
    // Hashing a memory buffer cannot fail short of memory exhaustion; there is
    // no safe value to return, so stop.
    std::abort();
  }
  return out;
}
}  // namespace

Bytes Sha256(ByteView in) { return Digest(EVP_sha256(), in); }
Bytes Sha384(ByteView in) { return Digest(EVP_sha384(), in); }

bool ConstantTimeEquals(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace internal {

void SecureWipe(void* p, std::size_t n) {
  if (p != nullptr && n != 0) sodium_memzero(p, n);
}

namespace {
std::atomic<WipeHook> g_wipe_hook{nullptr};
}  // namespace

void SetWipeHookForTesting(WipeHook hook) { g_wipe_hook.store(hook); }
void CallWipeHook(const void* p, std::size_t n) {
  if (WipeHook hook = g_wipe_hook.load(std::memory_order_relaxed)) hook(p, n);
}

}  // namespace internal

Status InitCrypto() {
  if (sodium_init() < 0) return MakeError(ErrorCode::kCryptoFailure, "sodium_init failed");
  return Status::Ok();
}

void SystemRng::Fill(std::span<uint8_t> out) {
  if (sodium_init() < 0) std::abort();  // no randomness: nothing safe to do
  randombytes_buf(out.data(), out.size());
}

int64_t SystemClock::NowSeconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace yesno
