// wire.cc — strict big-endian reader/writer and QUIC varints.
#include "yesno/wire.h"

namespace yesno::wire {

bool Reader::ReadU8(uint8_t& out) {
  if (in_.size() < 1) return false;
  out = in_[0];
  in_ = in_.subspan(1);
  return true;
}

bool Reader::ReadU16(uint16_t& out) {
  if (in_.size() < 2) return false;
  out = static_cast<uint16_t>((in_[0] << 8) | in_[1]);
  in_ = in_.subspan(2);
  return true;
}

bool Reader::ReadU64(uint64_t& out) {
  if (in_.size() < 8) return false;
  out = 0;
  for (int i = 0; i < 8; ++i) out = (out << 8) | in_[static_cast<std::size_t>(i)];
  in_ = in_.subspan(8);
  return true;
}

bool Reader::ReadView(std::size_t n, ByteView& out) {
  if (in_.size() < n) return false;
  out = in_.first(n);
  in_ = in_.subspan(n);
  return true;
}

bool Reader::ReadBytes(std::size_t n, Bytes& out) {
  ByteView v;
  if (!ReadView(n, v)) return false;
  out.assign(v.begin(), v.end());
  return true;
}

bool Reader::ReadU8Prefixed(Bytes& out) {
  uint8_t n = 0;
  return ReadU8(n) && ReadBytes(n, out);
}

bool Reader::ReadU16Prefixed(Bytes& out) {
  uint16_t n = 0;
  return ReadU16(n) && ReadBytes(n, out);
}

bool Reader::ReadVarint(uint64_t& out) {
  if (in_.empty()) return false;
  const std::size_t len = std::size_t{1} << (in_[0] >> 6);
  if (in_.size() < len) return false;
  uint64_t v = in_[0] & 0x3f;
  for (std::size_t i = 1; i < len; ++i) v = (v << 8) | in_[i];
  // Minimal encoding: the value must not fit in the next shorter form.
  static constexpr uint64_t kMinForLen[] = {0, 0, 64, 0, 16384, 0, 0, 0, 1073741824};
  if (v < kMinForLen[len]) return false;
  in_ = in_.subspan(len);
  out = v;
  return true;
}

bool Reader::ReadVarintPrefixed(ByteView& out) {
  uint64_t n = 0;
  if (!ReadVarint(n) || n > in_.size()) return false;
  return ReadView(static_cast<std::size_t>(n), out);
}

void Writer::WriteU16(uint16_t v) {
  out_.push_back(static_cast<uint8_t>(v >> 8));
  out_.push_back(static_cast<uint8_t>(v));
}

void Writer::WriteU64(uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out_.push_back(static_cast<uint8_t>(v >> shift));
}

bool Writer::WriteU8Prefixed(ByteView v) {
  if (v.size() > 0xff) return false;
  WriteU8(static_cast<uint8_t>(v.size()));
  WriteBytes(v);
  return true;
}

bool Writer::WriteU16Prefixed(ByteView v) {
  if (v.size() > 0xffff) return false;
  WriteU16(static_cast<uint16_t>(v.size()));
  WriteBytes(v);
  return true;
}

bool Writer::WriteVarint(uint64_t v) {
  if (v > kMaxVarint) return false;
  if (v < 64) {
    WriteU8(static_cast<uint8_t>(v));
  } else if (v < 16384) {
    WriteU16(static_cast<uint16_t>(0x4000 | v));
  } else if (v < 1073741824) {
    const uint32_t w = static_cast<uint32_t>(0x80000000u | v);
    for (int shift = 24; shift >= 0; shift -= 8) out_.push_back(static_cast<uint8_t>(w >> shift));
  } else {
    WriteU64(0xc000000000000000ull | v);
  }
  return true;
}

bool Writer::WriteVarintPrefixed(ByteView v) {
  if (!WriteVarint(v.size())) return false;
  WriteBytes(v);
  return true;
}

}  // namespace yesno::wire
