// yesno/wallet.h — the holder's wallet file format (pure: bytes in, bytes out).
//
//   file   = header || XChaCha20-Poly1305(key, ad = header, plaintext)
//   header = "YNWALLET" || version u8 (1) || kdf u8 || opslimit u64 || memlimit u64
//            || salt[16] || key_check[16] || nonce[24]                    (82 bytes)
//
// kdf 1: key = Argon2id(passphrase, salt, opslimit, memlimit) (libsodium
// crypto_pwhash); kdf 2: key = the 32 bytes of a key file. key_check =
// BLAKE2b-128(key, "yesno-wallet-check-v1") lets a wrong passphrase be told
// apart from a corrupt file; it gives an attacker nothing the AEAD tag does
// not already give. The plaintext (tickets, token keys) only ever lives in
// zeroizing buffers. File I/O and locking live in the client, not here.
//
// Plaintext version 1 holds issuers and tokens; version 2 (written since
// 0.2) adds key records and warnings. Both are read.
#ifndef YESNO_WALLET_H_
#define YESNO_WALLET_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "yesno/bytes.h"
#include "yesno/result.h"
#include "yesno/rng.h"
#include "yesno/secret_bytes.h"

namespace yesno {

inline constexpr std::size_t kWalletKeyBytes = 32;
inline constexpr std::size_t kWalletHeaderBytes = 82;
inline constexpr uint8_t kWalletVersion = 1;
// Plaintext versions: 1 holds issuers and tokens; 2 adds key records and
// warnings. OpenWallet reads both; SealWallet writes the current one.
inline constexpr uint8_t kWalletPlaintextVersion = 2;
// Argon2id pass counts a wallet header may name (wallets calibrate theirs to
// the machine: about 0.3 s per unlock); more would let a planted file stall
// the wallet.
inline constexpr uint64_t kMaxWalletOpslimit = 16;

enum class WalletKdf : uint8_t { kArgon2id = 1, kKeyFile = 2 };

struct WalletHeader {
  WalletKdf kdf = WalletKdf::kArgon2id;
  uint64_t opslimit = 0;  // Argon2id only
  uint64_t memlimit = 0;  // bytes; Argon2id only
  Bytes salt;             // 16 bytes
  Bytes key_check;        // 16 bytes
  Bytes nonce;            // 24 bytes
};

struct WalletIssuer {
  std::string name;                 // TokenChallenge issuer_name (from the signed directory)
  std::string url;                  // base URL the wallet talks to
  Bytes public_key;                 // pinned Ed25519 directory-signing key
  SecretBytes ticket;               // the sealed entitlement ticket ("yn1...")
  std::string directory;            // last verified directory body
  std::string directory_signature;  // its signature header value
  int64_t directory_fetched_at = 0;
};

struct WalletToken {
  std::string issuer;  // issuer name
  std::string claim;
  Bytes token;         // serialized Token (354 bytes)
  SecretBytes seed;    // Ed25519 seed of the token's nonce key
  int64_t not_after = 0;
  bool spent = false;
  int64_t spent_at = 0;
};

// WalletKeyRecord is what the wallet saw at a refill for one (issuer, claim,
// epoch): the key it refilled under (DESIGN §8: a verifier offering another
// key for the same issuer, claim and epoch reveals a split view) and the
// issuer's quota answer, so a later "no token" can say when more can be had.
struct WalletKeyRecord {
  std::string issuer;  // issuer name
  std::string claim;
  int64_t not_before = 0;  // the key's epoch start
  int64_t not_after = 0;
  Bytes key_id;             // token_key_id (32 bytes)
  int64_t quota_limit = -1;      // tokens per epoch; -1 = unknown
  int64_t quota_remaining = -1;  // left after the last refill; -1 = unknown
  int64_t refilled_at = 0;
};

// WalletWarning is a warning kept until the user clears it (`yesno status`).
struct WalletWarning {
  int64_t at = 0;
  std::string text;
};

struct WalletContents {
  int64_t created_at = 0;
  uint64_t generation = 0;  // incremented on every save
  std::vector<WalletIssuer> issuers;
  std::vector<WalletToken> tokens;
  std::vector<WalletKeyRecord> keys;      // plaintext version 2
  std::vector<WalletWarning> warnings;    // plaintext version 2
  uint8_t plaintext_version = kWalletPlaintextVersion;  // as read (a v1 file is rewritten as v2)
};

// NewPassphraseHeader makes a header for a new passphrase wallet with fresh
// salt and Argon2id limits (`opslimit`, `memlimit` default to libsodium's
// INTERACTIVE values).
WalletHeader NewPassphraseHeader(Rng& rng, uint64_t opslimit = 0, uint64_t memlimit = 0);
WalletHeader NewKeyFileHeader(Rng& rng);

// ParseWalletHeader reads the header of a wallet file (kMalformedInput if it
// is not a yesno wallet, truncated, or of another version).
Result<WalletHeader> ParseWalletHeader(ByteView file);

// DeriveWalletKey runs Argon2id for a passphrase header; fails for a key-file
// header or out-of-range limits.
Result<SecretBytes> DeriveWalletKey(ByteView passphrase, const WalletHeader& header);
// WalletKeyFromKeyFile checks a key file's contents (exactly 32 bytes).
Result<SecretBytes> WalletKeyFromKeyFile(ByteView contents);

// SealWallet serializes and encrypts `contents` under `key`, with the kdf and
// salt of `header` and a fresh nonce. The header's key_check is recomputed.
Result<Bytes> SealWallet(const WalletContents& contents, const SecretBytes& key, WalletHeader header, Rng& rng);
// OpenWallet decrypts and strictly parses a wallet file. Errors: kMalformedInput
// (not a wallet, truncated), kInvalidArgument ("wrong passphrase or key":
// key_check mismatch), kVerificationFailed (the file is corrupt: tag mismatch
// or bad contents).
Result<WalletContents> OpenWallet(ByteView file, const SecretBytes& key);

}  // namespace yesno

#endif  // YESNO_WALLET_H_
