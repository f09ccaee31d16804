// wallet.cc — the encrypted wallet file format.
#include "yesno/wallet.h"

#include <sodium.h>

#include <cstring>

#include "yesno/wire.h"

namespace yesno {
namespace {

constexpr char kMagic[8] = {'Y', 'N', 'W', 'A', 'L', 'L', 'E', 'T'};
constexpr char kCheckContext[] = "yesno-wallet-check-v1";
constexpr std::size_t kSaltBytes = crypto_pwhash_SALTBYTES;
constexpr std::size_t kCheckBytes = 16;
constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr uint8_t kPlaintextVersion = kWalletPlaintextVersion;
static_assert(kWalletKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kWalletHeaderBytes == 8 + 1 + 1 + 8 + 8 + kSaltBytes + kCheckBytes + kNonceBytes);

// SecretWriter appends big-endian fields to a zeroizing buffer (a
// reallocation wipes the old storage through the allocator).
class SecretWriter {
 public:
  void U8(uint64_t v) { Be(v, 1); }
  void U16(uint64_t v) { Be(v, 2); }
  void U32(uint64_t v) { Be(v, 4); }
  void U64(uint64_t v) { Be(v, 8); }
  void Raw(ByteView v) { out_.insert(out_.end(), v.begin(), v.end()); }
  bool Prefixed(ByteView v, int len_bytes) {
    if (len_bytes < 8 && v.size() >> (8 * len_bytes) != 0) return false;
    Be(v.size(), len_bytes);
    Raw(v);
    return true;
  }
  SecretBytes& out() { return out_; }

 private:
  void Be(uint64_t v, int bytes) {
    for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) out_.push_back(static_cast<uint8_t>(v >> shift));
  }
  SecretBytes out_;
};

bool ReadPrefixed(wire::Reader& r, int len_bytes, ByteView& out) {
  uint64_t n = 0;
  for (int i = 0; i < len_bytes; ++i) {
    uint8_t b = 0;
    if (!r.ReadU8(b)) return false;
    n = (n << 8) | b;
  }
  return n <= r.remaining() && r.ReadView(static_cast<std::size_t>(n), out);
}

bool ReadU32(wire::Reader& r, uint32_t& out) {
  ByteView v;
  if (!r.ReadView(4, v)) return false;
  out = (uint32_t{v[0]} << 24) | (uint32_t{v[1]} << 16) | (uint32_t{v[2]} << 8) | uint32_t{v[3]};
  return true;
}

Bytes KeyCheck(const SecretBytes& key) {
  Bytes check(kCheckBytes);
  crypto_generichash(check.data(), check.size(), reinterpret_cast<const uint8_t*>(kCheckContext),
                     sizeof(kCheckContext) - 1, key.data(), key.size());
  return check;
}

Bytes SerializeHeader(const WalletHeader& h) {
  wire::Writer w;
  w.WriteBytes(ByteView(reinterpret_cast<const uint8_t*>(kMagic), sizeof(kMagic)));
  w.WriteU8(kWalletVersion);
  w.WriteU8(static_cast<uint8_t>(h.kdf));
  w.WriteU64(h.opslimit);
  w.WriteU64(h.memlimit);
  w.WriteBytes(h.salt);
  w.WriteBytes(h.key_check);
  w.WriteBytes(h.nonce);
  return w.Take();
}

Error Corrupt(const char* what) { return MakeError(ErrorCode::kVerificationFailed, std::string("wallet is corrupt: ") + what); }

}  // namespace

WalletHeader NewPassphraseHeader(Rng& rng, uint64_t opslimit, uint64_t memlimit) {
  WalletHeader h;
  h.kdf = WalletKdf::kArgon2id;
  h.opslimit = opslimit != 0 ? opslimit : crypto_pwhash_OPSLIMIT_INTERACTIVE;
  h.memlimit = memlimit != 0 ? memlimit : crypto_pwhash_MEMLIMIT_INTERACTIVE;
  h.salt.resize(kSaltBytes);
  rng.Fill(h.salt);
  return h;
}

WalletHeader NewKeyFileHeader(Rng& rng) {
  WalletHeader h;
  h.kdf = WalletKdf::kKeyFile;
  h.salt.resize(kSaltBytes);
  rng.Fill(h.salt);
  return h;
}

Result<WalletHeader> ParseWalletHeader(ByteView file) {
  wire::Reader r(file);
  ByteView magic;
  uint8_t version = 0, kdf = 0;
  WalletHeader h;
  if (!r.ReadView(sizeof(kMagic), magic) || std::memcmp(magic.data(), kMagic, sizeof(kMagic)) != 0) {
    return MakeError(ErrorCode::kMalformedInput, "not a yesno wallet file");
  }
  if (!r.ReadU8(version) || !r.ReadU8(kdf) || !r.ReadU64(h.opslimit) || !r.ReadU64(h.memlimit) ||
      !r.ReadBytes(kSaltBytes, h.salt) || !r.ReadBytes(kCheckBytes, h.key_check) || !r.ReadBytes(kNonceBytes, h.nonce)) {
    return MakeError(ErrorCode::kMalformedInput, "wallet file is truncated (header)");
  }
  if (version != kWalletVersion) {
    return MakeError(ErrorCode::kMalformedInput, "wallet file version " + std::to_string(version) + " is not supported");
  }
  if (kdf != static_cast<uint8_t>(WalletKdf::kArgon2id) && kdf != static_cast<uint8_t>(WalletKdf::kKeyFile)) {
    return MakeError(ErrorCode::kMalformedInput, "wallet file names an unknown key derivation");
  }
  h.kdf = static_cast<WalletKdf>(kdf);
  return h;
}

Result<SecretBytes> DeriveWalletKey(ByteView passphrase, const WalletHeader& header) {
  if (header.kdf != WalletKdf::kArgon2id) return MakeError(ErrorCode::kInvalidArgument, "this wallet uses a key file");
  if (header.opslimit < crypto_pwhash_OPSLIMIT_MIN || header.opslimit > kMaxWalletOpslimit ||
      header.memlimit < crypto_pwhash_MEMLIMIT_MIN || header.memlimit > crypto_pwhash_MEMLIMIT_SENSITIVE ||
      header.salt.size() != kSaltBytes) {
    return MakeError(ErrorCode::kMalformedInput, "wallet header has out-of-range Argon2id limits");
  }
  if (Status s = InitCrypto(); !s.ok()) return s.error();
  SecretBytes key(kWalletKeyBytes);
  if (crypto_pwhash(key.data(), key.size(), reinterpret_cast<const char*>(passphrase.data()), passphrase.size(),
                    header.salt.data(), header.opslimit, static_cast<std::size_t>(header.memlimit),
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return MakeError(ErrorCode::kCryptoFailure, "Argon2id failed (out of memory?)");
  }
  return key;
}

Result<SecretBytes> WalletKeyFromKeyFile(ByteView contents) {
  if (contents.size() != kWalletKeyBytes) {
    return MakeError(ErrorCode::kInvalidArgument, "a wallet key file holds exactly 32 bytes");
  }
  return ToSecret(contents);
}

Result<Bytes> SealWallet(const WalletContents& c, const SecretBytes& key, WalletHeader header, Rng& rng) {
  if (key.size() != kWalletKeyBytes) return MakeError(ErrorCode::kInvalidArgument, "wallet key must be 32 bytes");
  if (Status s = InitCrypto(); !s.ok()) return s.error();
  SecretWriter w;
  w.U8(kPlaintextVersion);
  w.U64(static_cast<uint64_t>(c.created_at));
  w.U64(c.generation);
  if (c.issuers.size() > 0xffff || c.tokens.size() > 0xffffffffu) {
    return MakeError(ErrorCode::kInvalidArgument, "wallet: too many entries");
  }
  w.U16(c.issuers.size());
  for (const auto& i : c.issuers) {
    if (!w.Prefixed(AsBytes(i.name), 2) || !w.Prefixed(AsBytes(i.url), 2) || !w.Prefixed(i.public_key, 1) ||
        !w.Prefixed(View(i.ticket), 2) || !w.Prefixed(AsBytes(i.directory), 4) ||
        !w.Prefixed(AsBytes(i.directory_signature), 2)) {
      return MakeError(ErrorCode::kInvalidArgument, "wallet: issuer field too long");
    }
    w.U64(static_cast<uint64_t>(i.directory_fetched_at));
  }
  w.U32(c.tokens.size());
  for (const auto& t : c.tokens) {
    if (!w.Prefixed(AsBytes(t.issuer), 2) || !w.Prefixed(AsBytes(t.claim), 1) || !w.Prefixed(t.token, 2) ||
        !w.Prefixed(View(t.seed), 1)) {
      return MakeError(ErrorCode::kInvalidArgument, "wallet: token field too long");
    }
    w.U64(static_cast<uint64_t>(t.not_after));
    w.U8(t.spent ? 1 : 0);
    w.U64(static_cast<uint64_t>(t.spent_at));
  }
  if (c.keys.size() > 0xffffffffu || c.warnings.size() > 0xffff) {
    return MakeError(ErrorCode::kInvalidArgument, "wallet: too many entries");
  }
  w.U32(c.keys.size());
  for (const auto& k : c.keys) {
    if (!w.Prefixed(AsBytes(k.issuer), 2) || !w.Prefixed(AsBytes(k.claim), 1) || !w.Prefixed(k.key_id, 1)) {
      return MakeError(ErrorCode::kInvalidArgument, "wallet: key record field too long");
    }
    w.U64(static_cast<uint64_t>(k.not_before));
    w.U64(static_cast<uint64_t>(k.not_after));
    w.U64(static_cast<uint64_t>(k.quota_limit));
    w.U64(static_cast<uint64_t>(k.quota_remaining));
    w.U64(static_cast<uint64_t>(k.refilled_at));
  }
  w.U16(c.warnings.size());
  for (const auto& x : c.warnings) {
    w.U64(static_cast<uint64_t>(x.at));
    if (!w.Prefixed(AsBytes(x.text), 2)) return MakeError(ErrorCode::kInvalidArgument, "wallet: warning too long");
  }

  header.key_check = KeyCheck(key);
  header.nonce.resize(kNonceBytes);
  rng.Fill(header.nonce);
  Bytes out = SerializeHeader(header);
  const std::size_t header_len = out.size();
  const SecretBytes& pt = w.out();
  out.resize(header_len + pt.size() + kTagBytes);
  unsigned long long ct_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + header_len, &ct_len, pt.data(), pt.size(), out.data(),
                                             header_len, nullptr, header.nonce.data(), key.data());
  out.resize(header_len + static_cast<std::size_t>(ct_len));
  return out;
}

Result<WalletContents> OpenWallet(ByteView file, const SecretBytes& key) {
  auto header = ParseWalletHeader(file);
  if (!header.ok()) return header.error();
  if (key.size() != kWalletKeyBytes) return MakeError(ErrorCode::kInvalidArgument, "wallet key must be 32 bytes");
  if (Status s = InitCrypto(); !s.ok()) return s.error();
  if (!ConstantTimeEquals(KeyCheck(key), header->key_check)) {
    return MakeError(ErrorCode::kInvalidArgument, "wrong passphrase or key for this wallet");
  }
  if (file.size() < kWalletHeaderBytes + kTagBytes) return MakeError(ErrorCode::kMalformedInput, "wallet file is truncated");
  SecretBytes pt(file.size() - kWalletHeaderBytes - kTagBytes);
  unsigned long long pt_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt.data(), &pt_len, nullptr, file.data() + kWalletHeaderBytes,
                                                 file.size() - kWalletHeaderBytes, file.data(), kWalletHeaderBytes,
                                                 header->nonce.data(), key.data()) != 0) {
    return Corrupt("authentication failed (damaged or truncated)");
  }
  pt.resize(static_cast<std::size_t>(pt_len));

  wire::Reader r(View(pt));
  WalletContents c;
  uint8_t version = 0;
  uint64_t created = 0;
  uint16_t n_issuers = 0;
  if (!r.ReadU8(version) || version < 1 || version > kPlaintextVersion || !r.ReadU64(created) || !r.ReadU64(c.generation) ||
      !r.ReadU16(n_issuers)) {
    return Corrupt("bad contents header");
  }
  c.created_at = static_cast<int64_t>(created);
  c.plaintext_version = version;
  for (uint16_t i = 0; i < n_issuers; ++i) {
    WalletIssuer iss;
    ByteView name, url, pk, ticket, dir, sig;
    uint64_t fetched = 0;
    if (!ReadPrefixed(r, 2, name) || !ReadPrefixed(r, 2, url) || !ReadPrefixed(r, 1, pk) || !ReadPrefixed(r, 2, ticket) ||
        !ReadPrefixed(r, 4, dir) || !ReadPrefixed(r, 2, sig) || !r.ReadU64(fetched)) {
      return Corrupt("bad issuer entry");
    }
    iss.name = AsString(name);
    iss.url = AsString(url);
    iss.public_key = ToBytes(pk);
    iss.ticket = ToSecret(ticket);
    iss.directory = AsString(dir);
    iss.directory_signature = AsString(sig);
    iss.directory_fetched_at = static_cast<int64_t>(fetched);
    c.issuers.push_back(std::move(iss));
  }
  uint32_t n_tokens = 0;
  if (!ReadU32(r, n_tokens)) return Corrupt("bad token count");
  for (uint32_t i = 0; i < n_tokens; ++i) {
    WalletToken t;
    ByteView issuer, claim, token, seed;
    uint64_t not_after = 0, spent_at = 0;
    uint8_t flags = 0;
    if (!ReadPrefixed(r, 2, issuer) || !ReadPrefixed(r, 1, claim) || !ReadPrefixed(r, 2, token) ||
        !ReadPrefixed(r, 1, seed) || !r.ReadU64(not_after) || !r.ReadU8(flags) || flags > 1 || !r.ReadU64(spent_at)) {
      return Corrupt("bad token entry");
    }
    t.issuer = AsString(issuer);
    t.claim = AsString(claim);
    t.token = ToBytes(token);
    t.seed = ToSecret(seed);
    t.not_after = static_cast<int64_t>(not_after);
    t.spent = flags == 1;
    t.spent_at = static_cast<int64_t>(spent_at);
    c.tokens.push_back(std::move(t));
  }
  if (version >= 2) {
    uint32_t n_keys = 0;
    if (!ReadU32(r, n_keys)) return Corrupt("bad key record count");
    for (uint32_t i = 0; i < n_keys; ++i) {
      WalletKeyRecord k;
      ByteView issuer, claim, key_id;
      uint64_t nb = 0, na = 0, limit = 0, remaining = 0, at = 0;
      if (!ReadPrefixed(r, 2, issuer) || !ReadPrefixed(r, 1, claim) || !ReadPrefixed(r, 1, key_id) || !r.ReadU64(nb) ||
          !r.ReadU64(na) || !r.ReadU64(limit) || !r.ReadU64(remaining) || !r.ReadU64(at)) {
        return Corrupt("bad key record");
      }
      k.issuer = AsString(issuer);
      k.claim = AsString(claim);
      k.key_id = ToBytes(key_id);
      k.not_before = static_cast<int64_t>(nb);
      k.not_after = static_cast<int64_t>(na);
      k.quota_limit = static_cast<int64_t>(limit);
      k.quota_remaining = static_cast<int64_t>(remaining);
      k.refilled_at = static_cast<int64_t>(at);
      c.keys.push_back(std::move(k));
    }
    uint16_t n_warnings = 0;
    if (!r.ReadU16(n_warnings)) return Corrupt("bad warning count");
    for (uint16_t i = 0; i < n_warnings; ++i) {
      WalletWarning x;
      uint64_t at = 0;
      ByteView text;
      if (!r.ReadU64(at) || !ReadPrefixed(r, 2, text)) return Corrupt("bad warning");
      x.at = static_cast<int64_t>(at);
      x.text = AsString(text);
      c.warnings.push_back(std::move(x));
    }
  }
  if (!r.empty()) return Corrupt("trailing bytes");
  return c;
}

}  // namespace yesno
