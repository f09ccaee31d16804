// yesno/wire.h — strict big-endian readers and writers (TLS presentation
// language, QUIC variable-length integers).
//
// Reader follows BoringSSL's CBS: every read checks the remaining length, and
// the caller finishes with `empty()` so that no trailing byte goes unnoticed.
#ifndef YESNO_WIRE_H_
#define YESNO_WIRE_H_

#include <cstddef>
#include <cstdint>

#include "yesno/bytes.h"

namespace yesno::wire {

class Reader {
 public:
  explicit Reader(ByteView in) : in_(in) {}

  [[nodiscard]] bool ReadU8(uint8_t& out);
  [[nodiscard]] bool ReadU16(uint16_t& out);
  [[nodiscard]] bool ReadU64(uint64_t& out);
  // ReadBytes copies exactly `n` bytes.
  [[nodiscard]] bool ReadBytes(std::size_t n, Bytes& out);
  // ReadView returns a view of exactly `n` bytes.
  [[nodiscard]] bool ReadView(std::size_t n, ByteView& out);
  // ReadU8Prefixed / ReadU16Prefixed read an opaque<..> with a 1/2-byte length.
  [[nodiscard]] bool ReadU8Prefixed(Bytes& out);
  [[nodiscard]] bool ReadU16Prefixed(Bytes& out);
  // ReadVarint reads a QUIC variable-length integer (RFC 9000 §16) and, as
  // draft-ietf-privacypass-batched-tokens requires, rejects any encoding that
  // is longer than the minimum for its value.
  [[nodiscard]] bool ReadVarint(uint64_t& out);
  // ReadVarintPrefixed reads an opaque<V>.
  [[nodiscard]] bool ReadVarintPrefixed(ByteView& out);

  std::size_t remaining() const { return in_.size(); }
  bool empty() const { return in_.empty(); }

 private:
  ByteView in_;
};

class Writer {
 public:
  void WriteU8(uint8_t v) { out_.push_back(v); }
  void WriteU16(uint16_t v);
  void WriteU64(uint64_t v);
  void WriteBytes(ByteView v) { out_.insert(out_.end(), v.begin(), v.end()); }
  // WriteU8Prefixed / WriteU16Prefixed return false if `v` is too long.
  [[nodiscard]] bool WriteU8Prefixed(ByteView v);
  [[nodiscard]] bool WriteU16Prefixed(ByteView v);
  // WriteVarint writes the minimal QUIC encoding; false if v >= 2^62.
  [[nodiscard]] bool WriteVarint(uint64_t v);
  [[nodiscard]] bool WriteVarintPrefixed(ByteView v);

  const Bytes& bytes() const { return out_; }
  Bytes Take() { return std::move(out_); }

 private:
  Bytes out_;
};

// kMaxVarint is the largest value a QUIC varint holds (2^62 - 1).
inline constexpr uint64_t kMaxVarint = (uint64_t{1} << 62) - 1;

}  // namespace yesno::wire

#endif  // YESNO_WIRE_H_
