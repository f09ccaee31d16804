// yesno/secret_bytes.h — buffers for key material.
//
// SecretBytes zeroes its storage (sodium_memzero) whenever it is freed or
// reallocated. It has no operator<< and no conversion to std::string: a secret
// cannot reach a log by accident. Compare secrets only with ConstantTimeEquals.
#ifndef YESNO_SECRET_BYTES_H_
#define YESNO_SECRET_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "yesno/bytes.h"

namespace yesno {
namespace internal {

// SecureWipe zeroes `n` bytes at `p` in a way the compiler may not elide.
void SecureWipe(void* p, std::size_t n);

// WipeHook, when set, is called with every buffer a ZeroizingAllocator frees,
// after it was wiped. Tests use it to check that secrets are zeroed.
using WipeHook = void (*)(const void* p, std::size_t n);
void SetWipeHookForTesting(WipeHook hook);
void CallWipeHook(const void* p, std::size_t n);

template <class T>
struct ZeroizingAllocator {
  using value_type = T;
  ZeroizingAllocator() = default;
  template <class U>
  ZeroizingAllocator(const ZeroizingAllocator<U>&) noexcept {}  // NOLINT
  T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    SecureWipe(p, n * sizeof(T));
    CallWipeHook(p, n * sizeof(T));
    std::allocator<T>{}.deallocate(p, n);
  }
  friend bool operator==(const ZeroizingAllocator&, const ZeroizingAllocator&) { return true; }
};

}  // namespace internal

using SecretBytes = std::vector<uint8_t, internal::ZeroizingAllocator<uint8_t>>;

// ToSecret copies `v` into a SecretBytes.
inline SecretBytes ToSecret(ByteView v) { return SecretBytes(v.begin(), v.end()); }
// View views a SecretBytes as bytes.
inline ByteView View(const SecretBytes& s) { return ByteView(s.data(), s.size()); }

// ConstantTimeEquals compares in time that depends only on the lengths.
bool ConstantTimeEquals(ByteView a, ByteView b);

}  // namespace yesno

#endif  // YESNO_SECRET_BYTES_H_
