// constant_time_guard_test.cc — secrets are compared only in constant time
// (issue 7: sodium_memcmp / CRYPTO_memcmp, through ConstantTimeEquals or
// libsodium's own verify functions).
//
// A grep-style guard over core/, server/ and client/: it fails on
//   * memcmp, bcmp, strcmp, strncmp or std::equal (sodium_memcmp and
//     CRYPTO_memcmp are fine: \b does not match inside them), and
//   * == or != with an operand whose name says it is secret (secret, key,
//     tag, mac, hmac, seed, cookie, password, passphrase, pop, vnonce,
//     master, browser_key), unless the name says it is public (…_id, size,
//     name, public…, …Bytes constants, …) or the other side is nullptr, a
//     number, a string literal or an end() iterator.
// A line that matches but compares public data is listed in kAllowed with
// the reason; an allow-list entry that no longer matches anything fails
// too, so the list cannot rot. The self-test shows the guard catches
// `secret == other` and its relatives on sample lines.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace yesno {
namespace {

namespace fs = std::filesystem;

struct Finding {
  std::string file;
  int line = 0;
  std::string text;
};

// Allowed is one reviewed, non-secret comparison: a file (relative to the
// repository) and a substring of the line.
struct Allowed {
  const char* file;
  const char* line_contains;
  const char* why;
};

const Allowed kAllowed[] = {
    {"core/src/protocol/token.cc", "std::equal(input_key_id.begin()",
     "token_key_id is the SHA-256 of the issuer's public key"},
    {"core/src/crypto/rsa_keys.cc", "std::equal(kPssSha384AlgId.begin()", "a public ASN.1 algorithm identifier"},
    {"core/src/crypto/rsa_keys.cc", "in[0] != tag", "an ASN.1 DER tag byte while parsing a public key"},
    {"core/src/wallet/wallet.cc", "std::memcmp(magic.data(), kMagic", "the wallet file's public magic bytes"},
    {"server/verifier/spent_store.cc", "std::strcmp(reply->str, \"OK\")", "Redis's status reply"},
};

std::string StripComment(const std::string& line) {
  // Good enough for this code base: no "//" inside string literals on lines
  // that compare.
  const auto pos = line.find("//");
  return pos == std::string::npos ? line : line.substr(0, pos);
}

bool SecretName(std::string name) {
  if (name.size() > 1 && name[0] == 'k' && std::isupper(static_cast<unsigned char>(name[1]))) return false;  // kConstant
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::regex secret(R"(secret|key|tag|mac|seed|cookie|password|passphrase|(^|_)pop($|_)|vnonce|master)");
  static const std::regex public_name(
      R"((_id|_ids|^id|size|name|names|count|len|length|type|path|file|bytes|end|begin|kind|claim|url|prefix|public|entry|index|limit|header)$|public_key|key_id)");
  if (!std::regex_search(name, secret)) return false;
  return !std::regex_search(name, public_name);
}

// LastComponent is the final name of an operand like `a.b->c` or `*key`.
std::string LastComponent(std::string operand) {
  operand = std::regex_replace(operand, std::regex(R"(\[[^\]]*\])"), "");  // a[i] -> a
  std::size_t start = operand.find_last_of(".>:*&");
  return start == std::string::npos ? operand : operand.substr(start + 1);
}

bool Harmless(const std::string& operand) {
  static const std::regex harmless(R"(^(nullptr|NULL|true|false|0x[0-9a-fA-F]+|[0-9]+[uUlL]*|'.*'|".*")$)");
  return operand.empty() || std::regex_match(operand, harmless);
}

// ScanLine returns whether `raw` compares something secret in variable time.
bool ScanLine(const std::string& raw) {
  const std::string line = StripComment(raw);
  static const std::regex unsafe_call(R"((^|[^\w])(memcmp|bcmp|strcmp|strncmp|std::equal)\s*\()");
  if (std::regex_search(line, unsafe_call)) return true;
  // operand (==|!=) operand, where an operand is a name chain, possibly
  // dereferenced, not followed by a call or subscript.
  static const std::regex cmp(R"(([\w.:>*&\-\[\]]*[\w\]])\s*(\([^()]*\))?\s*(==|!=)\s*([*&]?[\w.:>\-]*[\w"'])\s*(\()?)");
  for (auto it = std::sregex_iterator(line.begin(), line.end(), cmp); it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    std::string left = m[1].str(), right = m[4].str();
    const bool left_call = m[2].matched, right_call = m[5].matched;
    if (left.ends_with("end") || right.ends_with("end")) continue;  // iterators
    const bool left_secret = !left_call && SecretName(LastComponent(left));
    const bool right_secret = !right_call && SecretName(LastComponent(right));
    if ((left_secret && !Harmless(right)) || (right_secret && !Harmless(left))) return true;
  }
  return false;
}

std::vector<Finding> ScanTree(const fs::path& root) {
  std::vector<Finding> out;
  for (const char* dir : {"core", "server", "client"}) {
    for (const auto& e : fs::recursive_directory_iterator(root / dir)) {
      const auto ext = e.path().extension();
      if (!e.is_regular_file() || (ext != ".cc" && ext != ".h")) continue;
      std::ifstream in(e.path());
      std::string line;
      int n = 0;
      while (std::getline(in, line)) {
        ++n;
        if (ScanLine(line)) out.push_back(Finding{fs::relative(e.path(), root).string(), n, line});
      }
    }
  }
  return out;
}

fs::path RepoRoot() { return fs::weakly_canonical(fs::path(YESNO_VECTOR_DIR) / ".." / ".." / ".."); }

TEST(ConstantTimeGuardTest, SelfTestFlagsVariableTimeSecretComparisons) {
  for (const char* bad : {
           "  if (secret == other) return;",
           "  return tag != expected_tag;",
           "  if (*key == *other) {",
           "  if (cookie_key == other.cookie_key) return true;",
           "  if (admin_secret_ == presented) ok = true;",
           "  if (mac == expected) return true;",
           "  if (std::memcmp(mac.data(), expected.data(), 32) == 0) return true;",
           "  ok = std::equal(a.begin(), a.end(), b.begin());",
           "  if (memcmp(a, b, n)) return false;",
           "  if (strcmp(password, given) == 0) {",
           "  if (s.browser_key == key) {",
           "  bool same = vnonce_key != ctx.vnonce_key;",
           "  if (seed==other_seed) x();",
           "  if (keys[i] == presented) return true;",
       }) {
    EXPECT_TRUE(ScanLine(bad)) << "the guard misses: " << bad;
  }
  for (const char* good : {
           "  if (sodium_memcmp(a.data(), b.data(), n) == 0) return true;",
           "  if (CRYPTO_memcmp(a, b, n) != 0) return false;",
           "  if (ConstantTimeEquals(tag, expected)) return true;",
           "  if (token.token_key_id != key.KeyId()) return false;",
           "  if (secret.size() != 32) return Error();",
           "  if (key == nullptr) return;",
           "  if (existing.public_key != issuer.public_key) {",
           "  static_assert(kCookieKeyBytes == crypto_auth_hmacsha256_KEYBYTES);",
           "  if (claim == other_claim) return;",
           "  // secret == other in a comment",
           "  if (it == keys_.end()) return nullptr;",
       }) {
    EXPECT_FALSE(ScanLine(good)) << "the guard wrongly flags: " << good;
  }
}

TEST(ConstantTimeGuardTest, SelfTestFindsAnInjectedComparisonInATree) {
  const fs::path root = fs::path(::testing::TempDir()) / ("yesno_ct_guard_" + std::to_string(::getpid()));
  fs::remove_all(root);
  for (const char* d : {"core", "server", "client"}) fs::create_directories(root / d);
  std::ofstream(root / "server" / "cookie.cc") << "bool Check(const SecretBytes& secret, const SecretBytes& other) {\n"
                                                  "  return secret == other;\n}\n";
  std::ofstream(root / "core" / "fine.cc") << "bool Check(ByteView a, ByteView b) { return ConstantTimeEquals(a, b); }\n";
  const auto findings = ScanTree(root);
  fs::remove_all(root);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].file, "server/cookie.cc");
  EXPECT_EQ(findings[0].line, 2);
}

TEST(ConstantTimeGuardTest, SourceTreeComparesSecretsOnlyInConstantTime) {
  const fs::path root = RepoRoot();
  ASSERT_TRUE(fs::exists(root / "core" / "include" / "yesno" / "secret_bytes.h")) << root;
  std::vector<bool> used(std::size(kAllowed), false);
  for (const Finding& f : ScanTree(root)) {
    bool allowed = false;
    for (std::size_t i = 0; i < std::size(kAllowed); ++i) {
      if (f.file == kAllowed[i].file && f.text.find(kAllowed[i].line_contains) != std::string::npos) {
        allowed = used[i] = true;
      }
    }
    EXPECT_TRUE(allowed) << f.file << ":" << f.line << ": compare secrets with ConstantTimeEquals (sodium_memcmp) "
                         << "or, if this is public data, add it to kAllowed in " << __FILE__ << " with the reason:\n  "
                         << f.text;
  }
  for (std::size_t i = 0; i < std::size(kAllowed); ++i) {
    EXPECT_TRUE(used[i]) << "stale allow-list entry (remove it): " << kAllowed[i].file << ": "
                         << kAllowed[i].line_contains;
  }
}

}  // namespace
}  // namespace yesno
