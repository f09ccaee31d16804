// constant_time_guard_test.cc — secrets are compared only in constant time
// (issue 7: sodium_memcmp / CRYPTO_memcmp, through ConstantTimeEquals or
// libsodium's own verify functions).
//
// A grep-style guard over core/, server/, io/ and client/: it fails on
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

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "testing/build_paths.h"

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
};

std::string StripComment(const std::string& line) {
  // Good enough for this code base: no "//" inside string literals on lines
  // that compare.
  const auto pos = line.find("//");
  return pos == std::string::npos ? line : line.substr(0, pos);
}

bool IsWord(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool EndsWith(const std::string& s, std::string_view suffix) { return s.ends_with(suffix); }

// (No std::regex here: GCC 12's <regex> trips -Wmaybe-uninitialized in the
// sanitizer build.)
bool SecretName(std::string name) {
  if (name.empty() || (!std::isalpha(static_cast<unsigned char>(name[0])) && name[0] != '_')) return false;  // a literal
  if (std::none_of(name.begin(), name.end(), [](char c) { return std::islower(static_cast<unsigned char>(c)); })) {
    return false;  // a MACRO_CONSTANT
  }
  if (name.size() > 1 && name[0] == 'k' && std::isupper(static_cast<unsigned char>(name[1]))) return false;  // kConstant
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool secret = name == "pop" || name.starts_with("pop_") || EndsWith(name, "_pop") ||
                name.find("_pop_") != std::string::npos;
  for (std::string_view word : {"secret", "key", "tag", "mac", "seed", "cookie", "password", "passphrase", "vnonce",
                                "master"}) {
    secret = secret || name.find(word) != std::string::npos;
  }
  if (!secret) return false;
  if (name == "id" || name.find("public_key") != std::string::npos || name.find("key_id") != std::string::npos) {
    return false;
  }
  for (std::string_view suffix : {"_id", "_ids", "size", "name", "names", "count", "len", "length", "type", "path",
                                  "file", "bytes", "end", "begin", "kind", "claim", "url", "prefix", "public", "entry",
                                  "index", "limit", "header"}) {
    if (EndsWith(name, suffix)) return false;
  }
  return true;
}

// LastComponent is the final name of an operand like `a.b->c`, `*key` or `a[i]`.
std::string LastComponent(const std::string& operand) {
  std::string plain;
  int depth = 0;
  for (char c : operand) {
    if (c == '[') ++depth;
    if (depth == 0) plain += c;
    if (c == ']' && depth > 0) --depth;
  }
  const std::size_t start = plain.find_last_of(".>:*&");
  return start == std::string::npos ? plain : plain.substr(start + 1);
}

bool Harmless(const std::string& operand) {
  if (operand.empty()) return true;
  for (std::string_view word : {"nullptr", "NULL", "true", "false"}) {
    if (operand == word) return true;
  }
  if (operand.front() == '"' || operand.front() == '\'') return true;  // a literal
  return std::isdigit(static_cast<unsigned char>(operand.front())) != 0;  // a number (0x.., 12u, ...)
}

bool OperandChar(char c) {
  return IsWord(c) || c == '.' || c == ':' || c == '>' || c == '-' || c == '*' || c == '&' || c == '[' || c == ']';
}

// ScanLine returns whether `raw` compares something secret in variable time.
bool ScanLine(const std::string& raw) {
  const std::string line = StripComment(raw);
  for (std::string_view fn : {"memcmp", "bcmp", "strcmp", "strncmp", "std::equal"}) {
    for (std::size_t pos = line.find(fn); pos != std::string::npos; pos = line.find(fn, pos + 1)) {
      if (pos > 0 && IsWord(line[pos - 1])) continue;  // sodium_memcmp, CRYPTO_memcmp
      std::size_t after = pos + fn.size();
      if (after < line.size() && IsWord(line[after])) continue;
      while (after < line.size() && line[after] == ' ') ++after;
      if (after < line.size() && line[after] == '(') return true;
    }
  }
  for (std::size_t op = 0; op + 1 < line.size(); ++op) {
    if (line[op + 1] != '=' || (line[op] != '=' && line[op] != '!')) continue;
    if (op > 0 && (line[op - 1] == '=' || line[op - 1] == '<' || line[op - 1] == '>' || line[op - 1] == '!')) continue;
    if (op + 2 < line.size() && line[op + 2] == '=') continue;
    // Left operand: a name chain, or a call `chain(...)`.
    std::size_t i = op;
    while (i > 0 && line[i - 1] == ' ') --i;
    bool left_call = false;
    if (i > 0 && line[i - 1] == ')') {
      left_call = true;
      int depth = 0;
      while (i > 0) {
        const char c = line[--i];
        if (c == ')') ++depth;
        if (c == '(' && --depth == 0) break;
      }
    }
    std::size_t l = i;
    while (l > 0 && OperandChar(line[l - 1])) --l;
    std::string left = line.substr(l, i - l);
    while (!left.empty() && (left.back() == '-' || left.back() == '>')) left.pop_back();
    // Right operand: a name chain or literal, maybe followed by a call.
    std::size_t r = op + 2;
    while (r < line.size() && line[r] == ' ') ++r;
    std::size_t re = r;
    if (re < line.size() && (line[re] == '"' || line[re] == '\'')) {
      const char q = line[re++];
      while (re < line.size() && line[re] != q) ++re;
      if (re < line.size()) ++re;
    } else {
      while (re < line.size() && OperandChar(line[re])) ++re;
    }
    std::string right = line.substr(r, re - r);
    std::size_t after = re;
    while (after < line.size() && line[after] == ' ') ++after;
    const bool right_call = after < line.size() && line[after] == '(';
    if (EndsWith(left, "end") || EndsWith(right, "end")) continue;  // iterators
    const bool left_secret = !left_call && SecretName(LastComponent(left));
    const bool right_secret = !right_call && SecretName(LastComponent(right));
    if ((left_secret && !Harmless(right)) || (right_secret && !Harmless(left))) return true;
  }
  return false;
}

std::vector<Finding> ScanTree(const fs::path& root) {
  std::vector<Finding> out;
  for (const char* dir : {"core", "server", "io", "client"}) {
    if (!fs::is_directory(root / dir)) continue;
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

fs::path RepoRoot() { return fs::weakly_canonical(fs::path(testing::SourceRoot())); }

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
           "  if (reason == \"unknown_key\") return;",
           "  if (EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_RSA) {",
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
