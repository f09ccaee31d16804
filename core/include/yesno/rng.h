// yesno/rng.h — injectable randomness and time.
//
// Core never calls a random source or a clock directly: every function that
// needs one takes an `Rng&` or a `now`. Production code passes SystemRng and
// SystemClock; known-answer tests pass a scripted Rng to replay fixed salts.
#ifndef YESNO_RNG_H_
#define YESNO_RNG_H_

#include <cstdint>
#include <span>

#include "yesno/bytes.h"

namespace yesno {

// Rng fills buffers with random bytes.
class Rng {
 public:
  virtual ~Rng() = default;
  // Fill writes `out.size()` random bytes into `out`.
  virtual void Fill(std::span<uint8_t> out) = 0;
};

// SystemRng draws from libsodium's randombytes_buf (the OS CSPRNG).
class SystemRng final : public Rng {
 public:
  void Fill(std::span<uint8_t> out) override;
};

// Clock tells Unix time in seconds.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowSeconds() const = 0;
};

// SystemClock reads the wall clock.
class SystemClock final : public Clock {
 public:
  int64_t NowSeconds() const override;
};

// FixedClock returns a settable time (tests, replay).
class FixedClock final : public Clock {
 public:
  explicit FixedClock(int64_t now) : now_(now) {}
  int64_t NowSeconds() const override { return now_; }
  void Set(int64_t now) { now_ = now; }
  void Advance(int64_t seconds) { now_ += seconds; }

 private:
  int64_t now_;
};

// InitCrypto initialises libsodium (idempotent, thread-safe). Every entry
// point of core that uses libsodium calls it; programs may call it early.
Status InitCrypto();

}  // namespace yesno

#endif  // YESNO_RNG_H_
