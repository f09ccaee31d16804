// server_hints_test.cc — every hint the servers print names real flags
// (issue 14: the verifier said "use https, or --insecure-http for testing"
// but had no such flag). The test provokes the error messages of
// yesno-verifier and yesno-issuer (bad usage, an http:// directory off
// loopback, a missing state directory ...), pulls out every `--flag` and
// every suggested command line ("yesno-issuer init ..."), and checks that
// the flag is one the binary takes (its --help lists it) and that each
// command line parses (run with --help appended: exit 0).
#include <set>
#include <thread>

#include "testing/process.h"
#include "testing/test_util.h"
#include "verifier_testing.h"

#if defined(YESNO_VERIFIER_PATH) && defined(YESNO_ISSUER_PATH)

namespace yesno::testing {
namespace {

bool IsFlagChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

// Flags finds every --flag in `text`.
std::set<std::string> Flags(const std::string& text) {
  std::set<std::string> out;
  for (std::size_t pos = text.find("--"); pos != std::string::npos; pos = text.find("--", pos + 2)) {
    if (pos > 0 && IsFlagChar(text[pos - 1])) continue;
    std::size_t end = pos + 2;
    while (end < text.size() && IsFlagChar(text[end])) ++end;
    if (end > pos + 2 && text[pos + 2] != '-') out.insert(text.substr(pos, end - pos));
  }
  return out;
}

std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '`' || c == '"' || c == '(' || c == ')' || c == ';' || c == ',') {
      if (!word.empty()) out.push_back(word);
      word.clear();
    } else {
      word.push_back(c);
    }
  }
  if (!word.empty()) out.push_back(word);
  return out;
}

// CommandLines finds "<binary> <subcommand> [--flag [value]]..." in `text`.
std::vector<std::vector<std::string>> CommandLines(const std::string& text, const std::string& binary) {
  std::vector<std::vector<std::string>> out;
  const auto words = Words(text);
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    if (words[i] != binary) continue;
    std::vector<std::string> line = {words[i + 1]};
    for (std::size_t j = i + 2; j < words.size() && words[j].rfind("--", 0) == 0; ++j) {
      line.push_back(words[j]);
      if (j + 1 < words.size() && words[j + 1].rfind("--", 0) != 0 && words[j + 1] != binary) line.push_back(words[++j]);
    }
    out.push_back(line);
  }
  return out;
}

// WaitHealthy waits until `v` answers /healthz (it handles SIGTERM from then on).
void WaitHealthy(const VerifierProcess& v) {
  for (int i = 0; i < 100; ++i) {
    auto r = net::HttpClient().Get(MustUrl(v.url + "/healthz"));
    if (r.ok() && r->status == 200) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "the verifier does not answer /healthz";
}

struct Binary {
  std::string name;
  std::string path;
  std::vector<std::string> subcommands;
  std::string help;  // --help of the binary and of every subcommand
};

Binary Describe(const std::string& name, const std::string& path, const std::vector<std::string>& subcommands) {
  Binary b{name, path, subcommands, RunProcess({path, "--help"}).out};
  for (const auto& sub : subcommands) {
    auto r = RunProcess({path, sub, "--help"});
    EXPECT_EQ(r.exit_code, 0) << name << " " << sub << " --help";
    b.help += r.out;
  }
  return b;
}

void CheckHints(const Binary& b, const std::string& messages) {
  for (const std::string& flag : Flags(messages)) {
    EXPECT_NE(b.help.find(flag), std::string::npos)
        << b.name << " suggests " << flag << ", which none of its commands takes. Messages:\n"
        << messages;
  }
  for (const auto& line : CommandLines(messages, b.name)) {
    std::vector<std::string> argv = {b.path};
    argv.insert(argv.end(), line.begin(), line.end());
    argv.push_back("--help");
    auto r = RunProcess(argv);
    std::string shown = b.name;
    for (const auto& w : line) shown += " " + w;
    EXPECT_EQ(r.exit_code, 0) << "suggested command line does not parse: " << shown << "\n" << r.err;
    // Its flags belong to that subcommand.
    for (const std::string& flag : Flags(shown)) {
      EXPECT_NE(r.out.find(flag), std::string::npos) << shown << ": " << flag << " is not an option of it";
    }
  }
}

TEST(ServerHintsTest, VerifierHintsNameRealFlags) {
  TempDir dir("hints_verifier");
  const Binary b = Describe("yesno-verifier", YESNO_VERIFIER_PATH, {"serve"});
  ASSERT_NE(b.help.find("--insecure-http"), std::string::npos) << "the flag its HTTP client suggests";
  const std::string key = Base64UrlEncode(Bytes(32, 9));
  WriteText(dir.File("trust.json"),
            "[{\"name\": \"i\", \"directory\": \"http://192.0.2.1/\", \"key\": \"" + key + "\"}]");
  WriteText(dir.File("typo.json"), "[{\"name\": \"i\", \"directroy\": \"https://i.example\", \"key\": \"" + key + "\"}]");
  const std::string trust = dir.File("trust.json");
  const std::vector<std::vector<std::string>> bad = {
      {},
      {"serve"},
      {"serve", "--trust", trust},
      {"serve", "--origin", "https://shop.example/path", "--trust", trust},
      {"serve", "--origin", "https://shop.example", "--trust", dir.File("missing.json")},
      {"serve", "--origin", "https://shop.example", "--trust", dir.File("typo.json")},
      {"serve", "--origin", "https://shop.example", "--trust", trust, "--spent-store", "postgres://x"},
      {"serve", "--origin", "https://shop.example", "--trust", trust, "--threads", "0"},
      {"serve", "--origin", "https://shop.example", "--trust", trust, "--listen", "nowhere"},
      {"serve", "--origin", "https://shop.example", "--trust", trust, "--session-minutes", "99999"},
      {"serve", "--origin", "https://shop.example", "--trust", trust, "--refresh-seconds", "0"},
      {"serve", "--origin", "https://shop.example", "--trust", trust, "--directory-timeout", "0"},
      {"serve", "--origin", "https://shop.example", "--trust", trust, "--public-prefix", "/x/"},
      {"serve", "--origin", "https://shop.example", "--trust", trust, "--gate-seconds", "1"},
      {"serve", "--origin", "https://shop.example", "--trust", trust, "--gate-capacity", "0"},
      {"serve", "--origin", "https://shop.example", "--trust", trust, "--claims", "Over 18"},
      {"serve", "--origin", "https://shop.example", "--trust", trust, "--cache-dir", trust + "/x"},
      {"serve", "--origin", "https://shop.example", "--trust", trust, "--tls-cert", trust},
  };
  std::string messages;
  for (const auto& args : bad) {
    std::vector<std::string> argv = {b.path};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = RunProcess(argv, "", std::chrono::seconds(30), {"XDG_CACHE_HOME=" + dir.path()});
    EXPECT_EQ(r.exit_code, 2) << (args.empty() ? "(no arguments)" : args.back()) << ": " << r.err;
    EXPECT_FALSE(r.err.empty());
    messages += r.err + "\n";
  }
  // A plain-http directory off loopback: the refusal and its hint are in the log.
  auto v = VerifierProcess::Start({"--origin", "https://shop.example", "--trust", trust, "--spent-store", "memory:"},
                                  dir.File("verifier.log"));
  ASSERT_TRUE(v.child);
  WaitHealthy(v);
  EXPECT_EQ(v.Stop(), 0);
  const std::string log = ReadText(v.log_path);
  EXPECT_NE(log.find("refusing plain http to 192.0.2.1 (use https, or --insecure-http for testing)"),
            std::string::npos)
      << log;
  messages += log;
  CheckHints(b, messages);
  // And the hint works: with --insecure-http the directory is tried (and is unreachable, not refused).
  auto tried = VerifierProcess::Start({"--origin", "https://shop.example", "--trust", trust, "--spent-store", "memory:",
                                       "--insecure-http", "--directory-timeout", "1"},
                                      dir.File("insecure.log"));
  ASSERT_TRUE(tried.child);
  WaitHealthy(tried);
  EXPECT_EQ(tried.Stop(), 0);
  EXPECT_EQ(ReadText(tried.log_path).find("refusing plain http"), std::string::npos) << ReadText(tried.log_path);
}

TEST(ServerHintsTest, IssuerHintsNameRealFlags) {
  TempDir dir("hints_issuer");
  const Binary b = Describe("yesno-issuer", YESNO_ISSUER_PATH, {"init", "serve", "enroll", "revoke", "public-key"});
  const std::string state = dir.File("state");
  const std::vector<std::vector<std::string>> bad = {
      {},
      {"serve", "--state", dir.File("nowhere")},
      {"enroll", "--state", dir.File("nowhere"), "--birth-date", "2000-01-01"},
      {"init", "--state", state, "--name", "bad name!"},
      {"init", "--state", state, "--name", "i.example", "--claims", "over_18"},
      {"init", "--state", state, "--name", "i.example", "--attributes", "age_over_18"},
      {"init", "--state", state, "--name", "i.example", "--epoch-days", "3"},
      {"init", "--state", state, "--name", "i.example", "--rsa-bits", "1024"},
      {"init", "--state", state, "--name", "i.example", "--quota", "0"},
  };
  std::string messages;
  for (const auto& args : bad) {
    std::vector<std::string> argv = {b.path};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = RunProcess(argv, "", std::chrono::seconds(30));
    EXPECT_NE(r.exit_code, 0) << (args.empty() ? "(no arguments)" : args.back());
    messages += r.err + "\n";
  }
  // With a real state: plain HTTP off loopback, bad dates, bad listen.
  auto init = RunProcess({b.path, "init", "--state", state, "--name", "i.example"}, "", std::chrono::seconds(60));
  ASSERT_EQ(init.exit_code, 0) << init.err;
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"serve", "--state", state, "--listen", "0.0.0.0:0"},
           {"serve", "--state", state, "--listen", "127.0.0.1:0", "--threads", "0"},
           {"serve", "--state", state, "--listen", "127.0.0.1:0", "--tls-cert", state + "/issuer.json"},
           {"enroll", "--state", state, "--birth-date", "2001-02-30"}}) {
    std::vector<std::string> argv = {b.path};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = RunProcess(argv, "", std::chrono::seconds(30));
    EXPECT_NE(r.exit_code, 0) << args.back() << ": " << r.out;
    messages += r.err + "\n";
  }
  EXPECT_NE(messages.find("--allow-plain-http"), std::string::npos) << messages;
  EXPECT_NE(messages.find("yesno-issuer init"), std::string::npos) << messages;
  CheckHints(b, messages);
}

TEST(ServerHintsTest, ExtractorFindsFlagsAndCommandLines) {
  EXPECT_EQ(Flags("use https, or --insecure-http for testing; --tls-cert/--tls-key, a--b, ---x"),
            (std::set<std::string>{"--insecure-http", "--tls-cert", "--tls-key"}));
  const auto lines = CommandLines("create it with `yesno-issuer init --state /x --name n` or yesno-issuer serve",
                                  "yesno-issuer");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], (std::vector<std::string>{"init", "--state", "/x", "--name", "n"}));
  EXPECT_EQ(lines[1], (std::vector<std::string>{"serve"}));
}

}  // namespace
}  // namespace yesno::testing

#endif
