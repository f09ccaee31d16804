#include "wallet_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>
#include <time.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "files.h"

namespace yesno::cli {
namespace {

// FileLock holds flock(LOCK_EX) on a lock file beside the wallet.
class FileLock {
 public:
  static Result<FileLock> Acquire(const std::string& path) {
    const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return MakeError(ErrorCode::kUnavailable, "cannot open lock file " + path);
    while (flock(fd, LOCK_EX) != 0) {
      if (errno != EINTR) {
        close(fd);
        return MakeError(ErrorCode::kUnavailable, "cannot lock " + path);
      }
    }
    return FileLock(fd);
  }
  FileLock(FileLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  ~FileLock() {
    if (fd_ >= 0) close(fd_);  // closing releases the lock
  }

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

Result<SecretBytes> ReadLineNoEcho(const char* prompt) {
  const int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "no terminal to ask for the wallet passphrase: set YESNO_PASSPHRASE or use --key-file");
  }
  termios old{};
  const bool have_tty = tcgetattr(fd, &old) == 0;
  if (have_tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  if (write(fd, prompt, strlen(prompt)) < 0) {
    // The prompt is a courtesy; reading still works.
  }
  SecretBytes line;
  line.reserve(256);
  char c = 0;
  while (read(fd, &c, 1) == 1 && c != '\n') {
    if (line.size() < 1024) line.push_back(static_cast<uint8_t>(c));
  }
  c = 0;
  if (have_tty) tcsetattr(fd, TCSAFLUSH, &old);
  if (write(fd, "\n", 1) < 0) {
  }
  close(fd);
  return line;
}

Result<SecretBytes> KeyFor(const KeySource& keys, const WalletHeader& header, bool confirm) {
  if (header.kdf == WalletKdf::kKeyFile) {
    if (keys.key_file.empty()) return MakeError(ErrorCode::kInvalidArgument, "this wallet is locked with a key file: pass --key-file");
    auto contents = files::ReadSecretFile(keys.key_file, 1024);
    if (!contents.ok()) return contents.error();
    return WalletKeyFromKeyFile(View(*contents));
  }
  if (!keys.key_file.empty()) return MakeError(ErrorCode::kInvalidArgument, "this wallet is locked with a passphrase, not a key file");
  auto pass = keys.read_passphrase ? keys.read_passphrase(confirm) : PassphraseFromEnvOrTty(confirm);
  if (!pass.ok()) return pass.error();
  if (pass->empty()) return MakeError(ErrorCode::kInvalidArgument, "the passphrase is empty");
  if (confirm && keys.warn && pass->size() < kMinPassphraseChars) {
    keys.warn("the passphrase is shorter than " + std::to_string(kMinPassphraseChars) +
              " characters: anyone who copies the wallet file can try guesses offline; a longer one (several "
              "words) is much safer");
  }
  return DeriveWalletKey(View(*pass), header);
}

}  // namespace

uint64_t ChooseArgon2idOpslimit(double target_seconds) {
  constexpr uint64_t kMinOps = 2, kMaxOps = kMaxWalletOpslimit;
  uint8_t out[kWalletKeyBytes];
  const uint8_t salt[crypto_pwhash_SALTBYTES] = {};
  timespec start{}, end{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
  const int rc = crypto_pwhash(out, sizeof out, "calibration", 11, salt, 1, kWalletArgon2idMemlimit,
                               crypto_pwhash_ALG_ARGON2ID13);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &end);
  sodium_memzero(out, sizeof out);
  const double one_pass = static_cast<double>(end.tv_sec - start.tv_sec) + static_cast<double>(end.tv_nsec - start.tv_nsec) / 1e9;
  if (rc != 0 || one_pass <= 0) return kMinOps;
  const auto ops = static_cast<uint64_t>(target_seconds / one_pass + 0.5);
  return std::clamp(ops, kMinOps, kMaxOps);  // kMaxOps == kMaxWalletOpslimit: every choice opens
}

std::string DefaultWalletPath() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  std::string base;
  if (xdg != nullptr && xdg[0] == '/') {
    base = xdg;
  } else {
    const char* home = std::getenv("HOME");
    base = std::string(home != nullptr ? home : ".") + "/.local/share";
  }
  return base + "/yesno/wallet";
}

Result<SecretBytes> PassphraseFromEnvOrTty(bool confirm) {
  if (const char* env = std::getenv("YESNO_PASSPHRASE"); env != nullptr) {
    return ToSecret(AsBytes(env));
  }
  auto first = ReadLineNoEcho("Wallet passphrase: ");
  if (!first.ok() || !confirm) return first;
  auto second = ReadLineNoEcho("Repeat passphrase: ");
  if (!second.ok()) return second;
  if (!ConstantTimeEquals(View(*first), View(*second))) {
    return MakeError(ErrorCode::kInvalidArgument, "the passphrases differ");
  }
  return first;
}

Result<std::unique_ptr<WalletFile>> WalletFile::Create(const std::string& path, const KeySource& keys, Rng& rng,
                                                       int64_t now) {
  const std::filesystem::path p(path);
  if (p.has_parent_path()) {
    if (Status s = files::MakePrivateDir(p.parent_path().string()); !s.ok()) return s.error();
  }
  auto lock = FileLock::Acquire(path + ".lock");
  if (!lock.ok()) return lock.error();
  if (files::Exists(path)) {
    return MakeError(ErrorCode::kInvalidArgument, "a wallet already exists at " + path + " (refusing to overwrite it)");
  }
  WalletHeader header;
  if (!keys.key_file.empty()) {
    header = NewKeyFileHeader(rng);
    if (!files::Exists(keys.key_file)) {
      SecretBytes fresh(kWalletKeyBytes);
      rng.Fill(std::span<uint8_t>(fresh.data(), fresh.size()));
      if (Status s = files::WriteFileAtomic(keys.key_file, View(fresh), 0600); !s.ok()) return s.error();
    }
  } else {
    header = NewPassphraseHeader(rng, ChooseArgon2idOpslimit(), kWalletArgon2idMemlimit);
  }
  auto key = KeyFor(keys, header, /*confirm=*/true);
  if (!key.ok()) return key.error();
  std::unique_ptr<WalletFile> wallet(new WalletFile(path, std::move(*key), header));
  WalletContents empty;
  empty.created_at = now;
  if (Status s = wallet->Save(empty, rng); !s.ok()) return s.error();
  return wallet;
}

Result<std::unique_ptr<WalletFile>> WalletFile::Open(const std::string& path, const KeySource& keys) {
  if (!files::Exists(path)) {
    return MakeError(ErrorCode::kInvalidArgument, "no wallet at " + path + " (create one with `yesno init`)");
  }
  auto bytes = files::ReadFile(path);
  if (!bytes.ok()) return bytes.error();
  auto header = ParseWalletHeader(*bytes);
  if (!header.ok()) return MakeError(header.error().code, path + ": " + header.error().message);
  auto key = KeyFor(keys, *header, /*confirm=*/false);
  if (!key.ok()) return key.error();
  std::unique_ptr<WalletFile> wallet(new WalletFile(path, std::move(*key), *header));
  auto contents = OpenWallet(*bytes, wallet->key_);
  if (!contents.ok()) return MakeError(contents.error().code, path + ": " + contents.error().message);
  return wallet;
}

Result<WalletContents> WalletFile::Read() const {
  auto bytes = files::ReadFile(path_);
  if (!bytes.ok()) return bytes.error();
  auto contents = OpenWallet(*bytes, key_);
  if (!contents.ok()) return MakeError(contents.error().code, path_ + ": " + contents.error().message);
  return contents;
}

Status WalletFile::Update(const std::function<Result<bool>(WalletContents&)>& fn, Rng& rng) {
  auto lock = FileLock::Acquire(path_ + ".lock");
  if (!lock.ok()) return lock.error();
  auto contents = Read();
  if (!contents.ok()) return contents.error();
  auto save = fn(*contents);
  if (!save.ok()) return save.error();
  if (!*save) return Status::Ok();
  return Save(*contents, rng);
}

Status WalletFile::Save(WalletContents& contents, Rng& rng) const {
  ++contents.generation;
  auto sealed = SealWallet(contents, key_, header_, rng);
  if (!sealed.ok()) return sealed.error();
  return files::WriteFileAtomic(path_, *sealed, 0600);
}

}  // namespace yesno::cli
