// wallet_file.h — the wallet on disk: encrypted (yesno/wallet.h), written
// atomically (temp file, fsync, rename, fsync dir), locked against
// concurrent writers with flock(2) on "<wallet>.lock". The old file is never
// destroyed: a failed or interrupted save leaves it as it was.
#ifndef YESNO_CLIENT_WALLET_FILE_H_
#define YESNO_CLIENT_WALLET_FILE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "yesno/result.h"
#include "yesno/rng.h"
#include "yesno/secret_bytes.h"
#include "yesno/wallet.h"

namespace yesno::cli {

// KeySource says how to unlock a wallet: a key file, or a passphrase from
// YESNO_PASSPHRASE or the terminal.
struct KeySource {
  std::string key_file;  // non-empty: use this key file
  // ReadPassphrase supplies the passphrase (env or prompt); `confirm` asks twice.
  std::function<Result<SecretBytes>(bool confirm)> read_passphrase;
  // Warn, if set, receives advice for the person (e.g. a short passphrase).
  std::function<void(const std::string&)> warn;
};

// kMinPassphraseChars: `init` warns below this length.
inline constexpr std::size_t kMinPassphraseChars = 12;
// kWalletArgon2idMemlimit is the memory one unlock uses (64 MiB: fits phones
// and small machines); the pass count is calibrated on this machine.
inline constexpr uint64_t kWalletArgon2idMemlimit = 64ull << 20;

// ChooseArgon2idOpslimit measures one Argon2id pass (CPU time, so a busy
// machine does not inflate it) at kWalletArgon2idMemlimit and returns the
// pass count for one unlock to cost about `target_seconds` (0.3 s: within
// 0.2–0.5 s), clamped to 2..16. The choice is stored in the wallet header,
// so a wallet keeps opening with the limits it was created with.
uint64_t ChooseArgon2idOpslimit(double target_seconds = 0.3);

// DefaultWalletPath is $XDG_DATA_HOME/yesno/wallet (~/.local/share/yesno/wallet).
std::string DefaultWalletPath();
// PassphraseFromEnvOrTty reads YESNO_PASSPHRASE, else prompts on /dev/tty
// with echo off.
Result<SecretBytes> PassphraseFromEnvOrTty(bool confirm);

class WalletFile {
 public:
  // Create makes a new, empty wallet at `path` (refuses to overwrite). With a
  // key file that does not exist yet, 32 random bytes are written to it (0600).
  static Result<std::unique_ptr<WalletFile>> Create(const std::string& path, const KeySource& keys, Rng& rng,
                                                    int64_t now);
  // Open unlocks an existing wallet (derives the key once and checks it).
  static Result<std::unique_ptr<WalletFile>> Open(const std::string& path, const KeySource& keys);

  // Read returns the current contents (no lock needed: saves are atomic renames).
  Result<WalletContents> Read() const;
  // Update locks the wallet, reads it, runs `fn`, and saves if `fn` returned
  // true. The lock is held only for this read-modify-write.
  Status Update(const std::function<Result<bool>(WalletContents&)>& fn, Rng& rng);

  const std::string& path() const { return path_; }

 private:
  WalletFile(std::string path, SecretBytes key, WalletHeader header)
      : path_(std::move(path)), key_(std::move(key)), header_(std::move(header)) {}
  Status Save(WalletContents& contents, Rng& rng) const;
  std::string path_;
  SecretBytes key_;
  WalletHeader header_;
};

}  // namespace yesno::cli

#endif  // YESNO_CLIENT_WALLET_FILE_H_
