#include "issuer_files.h"

#include <sodium.h>

#include <algorithm>
#include <sys/stat.h>

#include "files.h"
#include "pg_state_store.h"
#include "state_store.h"
#include "yesno/pop.h"
#include "yesno/ticket.h"

namespace yesno::issuer {
namespace {

constexpr std::size_t kAdminSecretRandomBytes = 32;
constexpr char kTicketHashKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "yn-tkhsh";
constexpr char kTicketHashDomain[] = "yesno-issuer-ticket-id-v1";
static_assert(kTicketKeyBytes == crypto_kdf_KEYBYTES);

Result<SecretBytes> ReadExact(const std::string& path, std::size_t size) {
  auto data = files::ReadSecretFile(path, 4096);
  if (!data.ok()) return data.error();
  if (data->size() != size) {
    return MakeError(ErrorCode::kMalformedInput, path + " must hold exactly " + std::to_string(size) + " bytes");
  }
  return std::move(*data);
}

bool IsSpace(uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

}  // namespace

KeyGenerator DefaultKeyGenerator(int bits) {
  return [bits]() { return RsaPrivateKey::Generate(bits); };
}

Bytes TicketHash(const SecretBytes& ticket_hash_key, ByteView ticket_id) {
  Bytes out(crypto_generichash_BYTES);
  crypto_generichash_state st;
  crypto_generichash_init(&st, ticket_hash_key.data(), ticket_hash_key.size(), out.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(kTicketHashDomain), sizeof(kTicketHashDomain));
  crypto_generichash_update(&st, ticket_id.data(), ticket_id.size());
  crypto_generichash_final(&st, out.data(), out.size());
  sodium_memzero(&st, sizeof(st));
  return out;
}

bool AdminSecretMatches(const SecretBytes& stored, std::string_view presented) {
  if (stored.empty()) return false;
  SecretBytes a(crypto_generichash_BYTES), b(crypto_generichash_BYTES);
  crypto_generichash(a.data(), a.size(), stored.data(), stored.size(), nullptr, 0);
  crypto_generichash(b.data(), b.size(), reinterpret_cast<const unsigned char*>(presented.data()), presented.size(),
                     nullptr, 0);
  return ConstantTimeEquals(View(a), View(b));
}

Result<Bytes> InitState(const std::string& dir, const IssuerConfig& config, int64_t now, Rng& rng,
                        const KeyGenerator& generate) {
  if (Status s = ValidateConfig(config); !s.ok()) return s.error();
  if (Status s = InitCrypto(); !s.ok()) return s.error();
  const bool fleet = IsPostgresStore(config.store);
  if (files::Exists(StatePath(dir, kConfigFile))) {
    return MakeError(ErrorCode::kInvalidArgument, dir + " already holds an issuer (issuer.json); refusing to overwrite it");
  }
  if (Status s = files::MakePrivateDir(dir); !s.ok()) return s.error();
  if (!fleet) {
    if (Status s = files::MakePrivateDir(StatePath(dir, kKeysDir)); !s.ok()) return s.error();
  }

  Ed25519KeyPair signing = GenerateEd25519KeyPair(rng);
  SecretBytes ticket_key(kTicketKeyBytes);
  rng.Fill(ticket_key);
  SecretBytes admin_raw(kAdminSecretRandomBytes);
  rng.Fill(admin_raw);
  // base64url text (no padding) so an operator can paste it into a header.
  SecretBytes admin_text(sodium_base64_ENCODED_LEN(kAdminSecretRandomBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING));
  sodium_bin2base64(reinterpret_cast<char*>(admin_text.data()), admin_text.size(), admin_raw.data(), admin_raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  admin_text.back() = '\n';  // replaces the terminating NUL

  for (const auto& [file, data] : {std::pair{kSigningKeyFile, &signing.seed}, std::pair{kTicketKeyFile, &ticket_key},
                                   std::pair{kAdminSecretFile, &admin_text}}) {
    if (Status s = files::WriteFileAtomic(StatePath(dir, file), View(*data), 0600); !s.ok()) return s.error();
  }
  if (fleet) {
    SecretBytes kek(kKekBytes);
    rng.Fill(kek);
    if (Status s = files::WriteFileAtomic(StatePath(dir, kKekFile), View(kek), 0600); !s.ok()) return s.error();
    auto secrets = LoadSecrets(dir);
    if (!secrets.ok()) return secrets.error();
    auto stores = OpenIssuerStores(dir, config, *secrets, StoreOptions{}, /*create=*/true);
    if (!stores.ok()) return stores.error();
    auto keys = KeyStore::LoadFromVault(stores->vault, config, now);
    if (!keys.ok()) return keys.error();
    auto maintained = (*keys)->Maintain(now, generate);
    if (!maintained.ok()) return maintained.error();
  } else {
    auto keys = KeyStore::Load(dir, config);
    if (!keys.ok()) return keys.error();
    auto maintained = (*keys)->Maintain(now, generate);
    if (!maintained.ok()) return maintained.error();
    auto state = StateStore::Open(StatePath(dir, kStateDbFile));
    if (!state.ok()) return state.error();
  }
  // The config goes last: its presence marks a complete directory.
  const std::string json = SerializeConfig(config);
  if (Status s = files::WriteFileAtomic(StatePath(dir, kConfigFile), AsBytes(json), 0600); !s.ok()) return s.error();
  return signing.public_key;
}

Result<IssuerStores> OpenIssuerStores(const std::string& dir, const IssuerConfig& config,
                                      const IssuerSecrets& secrets, const StoreOptions& options, bool create) {
  const std::string spec = options.override_spec.empty() ? config.store : options.override_spec;
  if (Status s = ValidateStoreSpec(spec); !s.ok()) return s.error();
  IssuerStores out;
  if (!IsPostgresStore(spec)) {
    auto state = StateStore::Open(StatePath(dir, kStateDbFile));
    if (!state.ok()) return state.error();
    out.state = std::move(*state);
    out.kind = "sqlite";
    return out;
  }
  if (options.pool_size < 1 || options.pool_size > 64) {
    return MakeError(ErrorCode::kInvalidArgument, "the PostgreSQL pool size must be 1..64");
  }
  const std::string kek_path = StatePath(dir, kKekFile);
  if (!files::Exists(kek_path)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     kek_path + " is missing: a PostgreSQL store needs the key-encryption key made by `yesno-issuer "
                                "init --store` (copy it from the state directory of an existing instance)");
  }
  auto kek = ReadExact(kek_path, kKekBytes);
  if (!kek.ok()) return kek.error();
  PgStoreOptions o;
  o.pool.url = spec;
  o.pool.size = options.pool_size;
  o.pool.statement_timeout_ms = options.statement_timeout_ms;
  o.pool.connect_timeout_s = std::max(2, (options.statement_timeout_ms + 999) / 1000);  // libpq's minimum is 2
  o.pool.acquire_timeout = std::chrono::milliseconds(options.statement_timeout_ms);
  o.issuer_name = config.name;
  o.public_key = secrets.public_key;
  o.kek = std::move(*kek);
  o.create = create;
  auto store = PgStateStore::Open(std::move(o));
  if (!store.ok()) return store.error();
  std::shared_ptr<PgStateStore> shared = std::move(*store);
  out.state = shared;
  out.vault = shared;
  out.kind = "postgresql";
  return out;
}

Status CheckStateDir(const std::string& dir) {
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidArgument, dir + " is not a directory; create it with `yesno-issuer init`");
  }
  if ((st.st_mode & 077) != 0) {
    return MakeError(ErrorCode::kInvalidArgument, dir + " is accessible by other users; chmod 700 it first");
  }
  if (!files::Exists(StatePath(dir, kConfigFile))) {
    return MakeError(ErrorCode::kInvalidArgument, dir + " holds no issuer.json; create it with `yesno-issuer init`");
  }
  return Status::Ok();
}

Result<IssuerConfig> LoadConfig(const std::string& dir) {
  auto text = files::ReadFile(StatePath(dir, kConfigFile), 64 * 1024);
  if (!text.ok()) return text.error();
  return ParseConfig(AsString(*text));
}

Result<IssuerSecrets> LoadSecrets(const std::string& dir) {
  if (Status s = InitCrypto(); !s.ok()) return s.error();
  IssuerSecrets out;
  auto seed = ReadExact(StatePath(dir, kSigningKeyFile), kEd25519SeedBytes);
  if (!seed.ok()) return seed.error();
  auto pair = Ed25519KeyPairFromSeed(View(*seed));
  if (!pair.ok()) return pair.error();
  out.signing_seed = std::move(*seed);
  out.public_key = pair->public_key;
  auto ticket_key = ReadExact(StatePath(dir, kTicketKeyFile), kTicketKeyBytes);
  if (!ticket_key.ok()) return ticket_key.error();
  out.ticket_key = std::move(*ticket_key);
  out.ticket_hash_key.resize(crypto_generichash_KEYBYTES);
  crypto_kdf_derive_from_key(out.ticket_hash_key.data(), out.ticket_hash_key.size(), 1, kTicketHashKdfContext,
                             out.ticket_key.data());
  const std::string admin_path = StatePath(dir, kAdminSecretFile);
  if (files::Exists(admin_path)) {
    auto admin = files::ReadSecretFile(admin_path, 4096);
    if (!admin.ok()) return admin.error();
    while (!admin->empty() && IsSpace(admin->back())) admin->pop_back();
    std::size_t lead = 0;
    while (lead < admin->size() && IsSpace((*admin)[lead])) ++lead;
    SecretBytes trimmed(admin->begin() + static_cast<std::ptrdiff_t>(lead), admin->end());
    if (trimmed.size() < 16) {
      return MakeError(ErrorCode::kMalformedInput, admin_path + " must hold at least 16 characters");
    }
    out.admin_secret = std::move(trimmed);
  }
  return out;
}

}  // namespace yesno::issuer
