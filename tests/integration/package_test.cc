// package_test.cc — the Debian packages and the systemd units (issue 19).
//
// DebsBuildInstallAndRun: cpack builds yesno-server and yesno-wallet from this
// build tree (`cpack -G DEB --config <build>/CPackConfig.cmake`: it installs the
// already built binaries, nothing is compiled again); `dpkg-deb --info` and
// `--contents` show the control fields, the maintainer scripts, every file and
// nothing from tests or benchmarks; Depends (dpkg-shlibdeps) names a package for
// every shared library the binaries need; the packages are unpacked into a
// scratch root and the packaged binaries answer --help and --version, ship man
// pages, and run the whole story (issuer init + serve, verifier serve, wallet
// init, enroll, refill, prove → yes), the two servers under strace: every
// system call they make must pass the units' SystemCallFilter, and each exits 0
// on SIGTERM (the units stop them with it).
// The other tests need no package: systemd-analyze verify on each unit (and a
// deliberately broken one, to show that a bad line is caught), the units'
// exposure score (systemd-analyze security --offline), and every flag the units
// and example confs pass exists in the binaries' --help.
// Missing tools (cpack, dpkg-deb, systemd-analyze, strace) make the tests that
// need them SKIP loudly.
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "files.h"
#include "node_package.h"
#include "testing/child_process.h"
#include "testing/process.h"
#include "testing/test_util.h"
#include "yesno/directory.h"

#if defined(YESNO_VERIFIER_PATH) && defined(YESNO_ISSUER_PATH) && defined(YESNO_CLI_PATH) && defined(YESNO_CPACK_CONFIG)

namespace yesno {
namespace {

namespace fs = std::filesystem;
using testing::ChildProcess;
using testing::FindOnPath;
using testing::PrivateDir;
using testing::ProcessResult;
using testing::RunProcess;
using testing::TrimEnd;
using testing::YearsAgo;

constexpr char kUnitDir[] = YESNO_SYSTEMD_UNIT_SOURCE_DIR;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

// Lines returns the non-empty lines of `text`.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// Field returns a control field's value ("Depends") from `dpkg-deb --info` output.
std::string Field(const std::string& info, const std::string& name) {
  for (const auto& line : Lines(info)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    key.erase(0, key.find_first_not_of(' '));
    if (key == name) return TrimEnd(line.substr(colon + 2));
  }
  return "";
}

// UnitValues returns every value of `key=` in a unit file, in order.
std::vector<std::string> UnitValues(const std::string& unit_text, const std::string& key) {
  std::vector<std::string> out;
  for (const auto& line : Lines(unit_text)) {
    if (line.rfind(key + "=", 0) == 0) out.push_back(line.substr(key.size() + 1));
  }
  return out;
}

// Flags returns every --flag named in `text`.
std::set<std::string> Flags(const std::string& text) {
  std::set<std::string> out;
  static const std::regex flag("(^|[ =])(--[a-z][a-z0-9-]*)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), flag); it != std::sregex_iterator(); ++it) {
    out.insert((*it)[2].str());
  }
  return out;
}

const std::vector<std::string> kSystemUnits = {"yesno-issuer.service", "yesno-verifier@.service"};
const std::vector<std::string> kUserUnits = {"yesno-refill.service", "yesno-refill.timer"};

// AnalyzableCopy writes `unit` into `dir` with its /usr/bin program replaced by `program` (systemd-analyze
// verify wants the ExecStart binary to exist) and the template instantiated as @site.
std::string AnalyzableCopy(const std::string& unit, const std::string& dir, const std::string& program) {
  std::string text = ReadText(std::string(kUnitDir) + "/" + unit);
  static const std::regex exec("/usr/bin/yesno(-issuer|-verifier)?( |$)");
  text = std::regex_replace(text, exec, program + "$2");
  const std::string name = ReplaceAll(unit, "@.", "@site.");
  WriteText(dir + "/" + name, text);
  return dir + "/" + name;
}

// Verify runs systemd-analyze verify on unit files; any output (warnings about unknown keys or bad values
// are printed, yet exit 0) counts as a failure too.
ProcessResult Verify(const std::string& analyze, const std::vector<std::string>& paths, bool user,
                     const std::string& runtime_dir) {
  std::vector<std::string> argv = {analyze, "verify", "--man=no"};
  if (user) argv.push_back("--user");
  argv.insert(argv.end(), paths.begin(), paths.end());
  return RunProcess(argv, "", std::chrono::seconds(30), {"XDG_RUNTIME_DIR=" + runtime_dir, "SYSTEMD_PAGER=cat"});
}

TEST(PackageTest, SystemdAnalyzeVerifiesEveryUnit) {
  const std::string analyze = FindOnPath("systemd-analyze");
  if (analyze.empty()) GTEST_SKIP() << "PACKAGE TEST SKIPPED: systemd-analyze is missing (Debian package systemd)";
  const std::string dir = PrivateDir("package", "verify");
  const std::string rt = PrivateDir("package", "runtime");
  std::vector<std::string> system, user;
  for (const auto& u : kSystemUnits) system.push_back(AnalyzableCopy(u, dir, "/bin/true"));
  for (const auto& u : kUserUnits) user.push_back(AnalyzableCopy(u, dir, "/bin/true"));
  for (const auto& path : system) {
    auto r = Verify(analyze, {path}, false, rt);
    EXPECT_EQ(r.exit_code, 0) << path << "\n" << r.out << r.err;
    EXPECT_EQ(r.out + r.err, "") << path;
  }
  auto r = Verify(analyze, user, true, rt);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out + r.err, "");
  fs::remove_all(dir);
  fs::remove_all(rt);
}

TEST(PackageTest, SystemdAnalyzeCatchesABrokenUnit) {
  const std::string analyze = FindOnPath("systemd-analyze");
  if (analyze.empty()) GTEST_SKIP() << "PACKAGE TEST SKIPPED: systemd-analyze is missing (Debian package systemd)";
  const std::string dir = PrivateDir("package", "broken");
  const std::string rt = PrivateDir("package", "runtime");
  const std::string good = AnalyzableCopy("yesno-issuer.service", dir, "/bin/true");
  // A misspelt key and a bad value: systemd ignores both (exit 0) but says so, which Verify treats as failure.
  std::string text = ReplaceAll(ReadText(good), "ProtectSystem=strict", "ProtectSystem=stricter\nProtectHomes=yes");
  WriteText(dir + "/yesno-broken.service", text);
  auto r = Verify(analyze, {dir + "/yesno-broken.service"}, false, rt);
  EXPECT_NE(r.out + r.err, "");
  EXPECT_NE((r.out + r.err).find("ProtectHomes"), std::string::npos) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("stricter"), std::string::npos) << r.out << r.err;
  // A missing program is an error (exit code).
  text = ReplaceAll(ReadText(good), "ExecStart=/bin/true", "ExecStart=/nonexistent/yesno-issuer");
  WriteText(dir + "/yesno-missing.service", text);
  r = Verify(analyze, {dir + "/yesno-missing.service"}, false, rt);
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  fs::remove_all(dir);
  fs::remove_all(rt);
}

TEST(PackageTest, ServerUnitsAreSandboxed) {
  const std::string analyze = FindOnPath("systemd-analyze");
  if (analyze.empty()) GTEST_SKIP() << "PACKAGE TEST SKIPPED: systemd-analyze is missing (Debian package systemd)";
  const std::string dir = PrivateDir("package", "security");
  for (const auto& unit : kSystemUnits) {
    const std::string text = ReadText(std::string(kUnitDir) + "/" + unit);
    // The issuer runs as its sysusers.d user (operators run enroll/revoke as it), the verifiers as DynamicUser.
    EXPECT_NE(text.find(unit == "yesno-issuer.service" ? "User=yesno-issuer\n" : "DynamicUser=yes\n"),
              std::string::npos)
        << unit;
    EXPECT_EQ(text.find("User=root"), std::string::npos) << unit;
    for (const char* line : {"ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "NoNewPrivileges=yes",
                             "CapabilityBoundingSet=\n", "Restart=on-failure",
                             "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "SystemCallFilter=@system-service\n",
                             "SystemCallFilter=~@privileged @resources", "KillSignal=SIGTERM", "StateDirectory="}) {
      EXPECT_NE(text.find(line), std::string::npos) << unit << " lacks " << line;
    }
    // systemd's own exposure score, 0 (locked down) .. 10 (none): 1.2 when written; fail above 2.0.
    const std::string path = AnalyzableCopy(unit, dir, "/bin/true");
    auto r = RunProcess({analyze, "security", "--offline=true", "--threshold=20", "--no-pager", path}, "",
                        std::chrono::seconds(30));
    EXPECT_EQ(r.exit_code, 0) << unit << " exposure over 2.0:\n" << r.out << r.err;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.out, m, std::regex("Overall exposure level for [^:]+: ([0-9.]+)"))) << r.out;
    std::cout << "[ exposure ] " << unit << ": " << m[1] << "\n";
  }
  fs::remove_all(dir);
}

// The flags the units and the example confs pass must exist: a renamed flag would only show when systemd
// starts the service.
TEST(PackageTest, UnitAndExampleFlagsExistInTheBinaries) {
  struct Case {
    std::string file;
    std::vector<std::string> help_argv;
  };
  const std::string examples = std::string(kUnitDir);
  const std::vector<Case> cases = {
      {examples + "/yesno-issuer.service", {YESNO_ISSUER_PATH, "serve", "--help"}},
      {examples + "/issuer.conf.example", {YESNO_ISSUER_PATH, "serve", "--help"}},
      {examples + "/yesno-verifier@.service", {YESNO_VERIFIER_PATH, "serve", "--help"}},
      {examples + "/verifier-site.conf.example", {YESNO_VERIFIER_PATH, "serve", "--help"}},
      {examples + "/yesno-refill.service", {YESNO_CLI_PATH, "refill", "--help"}},
  };
  for (const auto& c : cases) {
    std::string active;  // the unit's or conf's non-comment lines
    for (const auto& line : Lines(ReadText(c.file))) {
      if (line[0] != '#') active += line + "\n";
    }
    const auto flags = Flags(active);
    EXPECT_FALSE(flags.empty()) << c.file;
    auto help = RunProcess(c.help_argv);
    ASSERT_EQ(help.exit_code, 0) << help.err;
    auto top = RunProcess({c.help_argv[0], "--help"});  // the wallet's global options (--key-file, ...)
    for (const auto& flag : flags) {
      EXPECT_TRUE(help.out.find(flag) != std::string::npos || top.out.find(flag) != std::string::npos)
          << c.file << " passes " << flag << ", which `" << c.help_argv[0] << " " << c.help_argv[1]
          << " --help` does not list";
    }
  }
  // The negative case of the check itself: a flag no binary has is reported.
  auto help = RunProcess({YESNO_VERIFIER_PATH, "serve", "--help"});
  EXPECT_EQ(help.out.find("--no-such-flag"), std::string::npos);
  EXPECT_EQ(Flags("ExecStart=/usr/bin/x serve --no-such-flag ${Y}").count("--no-such-flag"), 1u);
}

// SystemCalls returns the system call names in an `strace -f` log.
std::set<std::string> SystemCalls(const std::string& log) {
  std::set<std::string> out;
  static const std::regex call("^(?:\\[pid +)?[0-9]+\\]? +([a-z0-9_]+)\\(");
  for (const auto& line : Lines(log)) {
    std::smatch m;
    if (std::regex_search(line, m, call)) out.insert(m[1]);
  }
  return out;
}

// FilterSet expands a systemd syscall group (@system-service) to its call names with systemd-analyze,
// nested groups (@basic-io, ...) included.
void ExpandFilter(const std::string& analyze, const std::string& group, std::set<std::string>& out,
                  std::set<std::string>& seen) {
  if (!seen.insert(group).second) return;
  auto r = RunProcess({analyze, "syscall-filter", "--no-pager", group});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& line : Lines(r.out)) {
    if (line.empty() || line[0] != ' ') continue;  // the group's own name, unindented
    std::string name = line;
    name.erase(0, name.find_first_not_of(' '));
    if (name.empty() || name[0] == '#' || name.find(' ') != std::string::npos) continue;
    if (name[0] == '@') {
      ExpandFilter(analyze, name, out, seen);
    } else {
      out.insert(name);
    }
  }
}

std::set<std::string> FilterSet(const std::string& analyze, const std::string& group) {
  std::set<std::string> out, seen;
  ExpandFilter(analyze, group, out, seen);
  return out;
}

// DependsNames returns the package names in a Depends field ("a (>= 1), b | c" -> a, b, c).
std::set<std::string> DependsNames(const std::string& depends) {
  std::set<std::string> out;
  std::string item;
  for (std::size_t i = 0; i <= depends.size(); ++i) {
    if (i == depends.size() || depends[i] == ',' || depends[i] == '|') {
      item.erase(0, item.find_first_not_of(' '));
      out.insert(item.substr(0, item.find_first_of(" (")));
      item.clear();
    } else {
      item += depends[i];
    }
  }
  return out;
}

// TracedPid returns the process strace runs (its only child), or `pid` itself when it has none.
pid_t TracedPid(pid_t pid) {
  for (int i = 0; i < 100; ++i) {
    const std::string children =
        ReadText("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
    if (!children.empty()) return static_cast<pid_t>(std::stol(children));
    usleep(20'000);
  }
  return pid;
}

TEST(PackageTest, DebsBuildInstallAndRun) {
  const std::string cpack = YESNO_CPACK_COMMAND;
  const std::string dpkg_deb = FindOnPath("dpkg-deb");
  const std::string dpkg = FindOnPath("dpkg");
  if (cpack.empty() || access(cpack.c_str(), X_OK) != 0 || dpkg_deb.empty() || dpkg.empty()) {
    GTEST_SKIP() << "PACKAGE TEST SKIPPED: cpack or dpkg-deb is missing (Debian packages cmake, dpkg)";
  }
  if (FindOnPath("dpkg-shlibdeps").empty()) {
    GTEST_SKIP() << "PACKAGE TEST SKIPPED: dpkg-shlibdeps is missing (Debian package dpkg-dev, scripts/bootstrap)";
  }
  const std::string dir = PrivateDir("package", "debs");
  const std::string out = dir + "/out";

  // 1. Build both packages from this build tree.
  auto r = RunProcess({cpack, "-G", "DEB", "--config", YESNO_CPACK_CONFIG, "-B", out}, "", std::chrono::seconds(240));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::map<std::string, std::string> debs;  // package name -> .deb path
  for (const auto& e : fs::directory_iterator(out)) {
    const std::string name = e.path().filename();
    if (e.path().extension() == ".deb") debs[name.substr(0, name.find('_'))] = e.path();
  }
  ASSERT_EQ(debs.size(), 2u) << r.out;
  ASSERT_TRUE(debs.count("yesno-server"));
  ASSERT_TRUE(debs.count("yesno-wallet"));
  for (const auto& [name, path] : debs) {
    EXPECT_NE(fs::path(path).filename().string().find(std::string("_") + YESNO_PROJECT_VERSION + "-1_"),
              std::string::npos)
        << path;
  }

  // 2. Control fields and maintainer scripts.
  std::map<std::string, std::string> info;
  for (const auto& [name, path] : debs) {
    r = RunProcess({dpkg_deb, "--info", path});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    info[name] = r.out;
    EXPECT_EQ(Field(r.out, "Package"), name);
    EXPECT_EQ(Field(r.out, "Version"), std::string(YESNO_PROJECT_VERSION) + "-1");
    EXPECT_FALSE(Field(r.out, "Architecture").empty());
    EXPECT_FALSE(Field(r.out, "Maintainer").empty());
    EXPECT_NE(Field(r.out, "Depends").find("libc6"), std::string::npos) << r.out;
    EXPECT_NE(Field(r.out, "Depends").find("libssl3"), std::string::npos) << r.out;
    EXPECT_NE(Field(r.out, "Depends").find("libsodium23"), std::string::npos) << r.out;
  }
  EXPECT_NE(info["yesno-server"].find(" postinst"), std::string::npos) << info["yesno-server"];
  EXPECT_NE(info["yesno-server"].find(" prerm"), std::string::npos);
  EXPECT_NE(info["yesno-server"].find(" postrm"), std::string::npos);
  EXPECT_EQ(info["yesno-wallet"].find("postinst"), std::string::npos) << "the wallet needs no maintainer script";
  std::cout << "[ depends  ] yesno-server: " << Field(info["yesno-server"], "Depends") << "\n"
            << "[ depends  ] yesno-wallet: " << Field(info["yesno-wallet"], "Depends") << "\n";

  // 3. Files: what must be there, and nothing from the build's tests or benchmarks.
  std::map<std::string, std::set<std::string>> files;
  for (const auto& [name, path] : debs) {
    r = RunProcess({dpkg_deb, "--contents", path});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& line : Lines(r.out)) {
      const auto at = line.find(" ./");
      if (at != std::string::npos) files[name].insert(line.substr(at + 2));
      EXPECT_NE(line.find("root/root"), std::string::npos) << "not owned by root: " << line;
    }
  }
  const std::map<std::string, std::vector<std::string>> expected = {
      {"yesno-server",
       {"/usr/bin/yesno-issuer", "/usr/bin/yesno-verifier", "/lib/systemd/system/yesno-issuer.service",
        "/lib/systemd/system/yesno-verifier@.service", "/usr/share/man/man1/yesno-issuer.1.gz",
        "/usr/share/man/man1/yesno-verifier.1.gz", "/usr/share/doc/yesno-server/operations.md",
        "/usr/share/doc/yesno-server/examples/verifier-site.conf.example",
        "/usr/share/doc/yesno-server/examples/issuer.conf.example", "/usr/share/doc/yesno-server/examples/yesno.conf",
        "/usr/lib/sysusers.d/yesno-server.conf"}},
      {"yesno-wallet",
       {"/usr/bin/yesno", "/usr/lib/systemd/user/yesno-refill.service", "/usr/lib/systemd/user/yesno-refill.timer",
        "/usr/share/man/man1/yesno.1.gz"}},
  };
  for (const auto& [name, paths] : expected) {
    for (const auto& p : paths) EXPECT_TRUE(files[name].count(p)) << name << " lacks " << p;
    for (const auto& p : files[name]) {
      const std::string file = fs::path(p).filename();
      for (const char* bad : {"test", "bench", "fuzz", "gtest", "CMake"}) {
        EXPECT_EQ(file.find(bad), std::string::npos) << name << " holds " << p;
      }
      EXPECT_TRUE(fs::path(p).extension() != ".a" && fs::path(p).extension() != ".h") << name << " holds " << p;
    }
  }
  EXPECT_FALSE(files["yesno-wallet"].count("/usr/bin/yesno-issuer"));
  EXPECT_FALSE(files["yesno-server"].count("/usr/bin/yesno"));

  // 4. Unpack both into a scratch root.
  const std::string root = dir + "/root";
  for (const auto& [name, path] : debs) {
    r = RunProcess({dpkg_deb, "-x", path, root});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // The issuer's system user, as postinst makes it (systemd-sysusers), in the scratch root; twice: idempotent.
  const std::string sysusers = FindOnPath("systemd-sysusers");
  if (sysusers.empty()) {
    std::cout << "[ SKIPPED  ] the system user check: systemd-sysusers is missing (Debian package systemd)\n";
  } else {
    fs::create_directories(root + "/etc");
    for (int i = 0; i < 2; ++i) {
      r = RunProcess({sysusers, "--root=" + root, "yesno-server.conf"});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    const std::string passwd = ReadText(root + "/etc/passwd");
    EXPECT_NE(passwd.find("yesno-issuer:x:"), std::string::npos) << passwd;
    EXPECT_NE(passwd.find(":/var/lib/yesno-issuer:/usr/sbin/nologin\n"), std::string::npos) << passwd;
    EXPECT_EQ(passwd.find("yesno-issuer:x:"), passwd.rfind("yesno-issuer:x:")) << "a second run added the user again";
  }
  const std::string issuer = root + "/usr/bin/yesno-issuer";
  const std::string verifier = root + "/usr/bin/yesno-verifier";
  const std::string wallet = root + "/usr/bin/yesno";

  // Depends names a package for every shared library the packaged binaries need.
  const std::string objdump = FindOnPath("objdump");
  if (objdump.empty()) {
    std::cout << "[ SKIPPED  ] the NEEDED check: objdump is missing (Debian package binutils)\n";
  } else {
    for (const auto& [bin, package] : std::vector<std::pair<std::string, std::string>>{
             {issuer, "yesno-server"}, {verifier, "yesno-server"}, {wallet, "yesno-wallet"}}) {
      r = RunProcess({objdump, "-p", bin});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      const std::string depends = Field(info[package], "Depends");
      const std::set<std::string> names = DependsNames(depends);
      for (const auto& line : Lines(r.out)) {
        std::smatch m;
        if (!std::regex_search(line, m, std::regex("^ +NEEDED +(\\S+)$"))) continue;
        auto owner = RunProcess({dpkg, "-S", "*/" + m[1].str()});
        ASSERT_EQ(owner.exit_code, 0) << m[1] << ": " << owner.err;
        bool named = false;
        for (const auto& o : Lines(owner.out)) {
          if (names.count(o.substr(0, o.find_first_of(":,")))) named = true;
        }
        EXPECT_TRUE(named) << fs::path(bin).filename() << " needs " << m[1] << " (" << TrimEnd(owner.out)
                           << ") but Depends is: " << depends;
      }
    }
  }

  // 5. The packaged binaries: --help, --version, man pages.
  for (const auto& [bin, name] : std::vector<std::pair<std::string, std::string>>{
           {issuer, "yesno-issuer"}, {verifier, "yesno-verifier"}, {wallet, "yesno"}}) {
    r = RunProcess({bin, "--help"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("Usage:"), std::string::npos) << r.out;
    r = RunProcess({bin, "--version"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, name + " " + YESNO_PROJECT_VERSION + "\n");
    r = RunProcess({bin, "--no-such-option"});
    EXPECT_EQ(r.exit_code, 2) << name;
    r = RunProcess({"/bin/gzip", "-dc", root + "/usr/share/man/man1/" + name + ".1.gz"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string upper = name;
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    EXPECT_NE(r.out.find(".TH " + upper + " \"1\""), std::string::npos) << r.out.substr(0, 300);
    EXPECT_NE(r.out.find("SUBCOMMANDS"), std::string::npos);
    EXPECT_NE(r.out.find(".SS \"" + name + " "), std::string::npos) << "no subcommand section in " << name << ".1";
    EXPECT_EQ(r.out.find("/build"), std::string::npos) << "the build path leaked into " << name << ".1";
  }

  // 6. The story with the packaged binaries; the servers run under strace when it is installed. As root, the
  // server side runs as `nobody` (runuser, strace -u), as under the units: a service that runs as root does
  // other things (SQLite fchown()s the files it makes), which the filter check below would see.
#if defined(__SANITIZE_ADDRESS__)
  // LeakSanitizer cannot run under ptrace (it exits with "fatal error" and a
  // non-zero status), and the syscall check below is skipped in this build.
  const std::string strace;
#else
  const std::string strace = FindOnPath("strace");
#endif
  std::string runuser = FindOnPath("runuser");
  if (runuser.empty() && access("/usr/sbin/runuser", X_OK) == 0) runuser = "/usr/sbin/runuser";
  const struct passwd* nobody = getpwnam("nobody");
  const bool as_nobody = geteuid() == 0 && nobody != nullptr && !runuser.empty();
  const std::string srv = PrivateDir("package", "srv");  // the services' state (StateDirectory)
  if (as_nobody) {
    ASSERT_EQ(chown(srv.c_str(), nobody->pw_uid, nobody->pw_gid), 0);
    ASSERT_EQ(chmod(dir.c_str(), 0755), 0);  // nobody runs the binaries unpacked under it
  }
  auto as_service = [&](std::vector<std::string> argv) {
    if (as_nobody) argv.insert(argv.begin(), {runuser, "-u", "nobody", "--"});
    return argv;
  };
  auto traced = [&](const std::string& log, std::vector<std::string> argv) {
    if (strace.empty()) return as_service(argv);
    std::vector<std::string> t = {strace, "-f", "-qq", "-o", log};
    if (as_nobody) t.insert(t.end(), {"-u", "nobody"});
    t.push_back("--");
    t.insert(t.end(), argv.begin(), argv.end());
    return t;
  };
  r = RunProcess(
      as_service({issuer, "init", "--state", srv + "/issuer", "--name", "issuer.package", "--claims", "age_over_18"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string issuer_key = TrimEnd(r.out);
  r = RunProcess(as_service({issuer, "public-key", "--state", srv + "/issuer"}));
  EXPECT_EQ(TrimEnd(r.out), issuer_key);
  r = RunProcess(as_service({issuer, "init", "--state", srv + "/issuer", "--name", "issuer.package"}));
  EXPECT_NE(r.exit_code, 0) << "init over an existing state must refuse";

  auto issuer_proc = ChildProcess::Start(
      traced(dir + "/issuer.strace", {issuer, "serve", "--state", srv + "/issuer", "--listen", "127.0.0.1:0"}),
      dir + "/issuer.log");
  ASSERT_TRUE(issuer_proc);
  auto issuer_url = issuer_proc->WaitForListening(std::chrono::seconds(60));
  ASSERT_TRUE(issuer_url) << ReadText(dir + "/issuer.log");
  const nlohmann::json trust = nlohmann::json::array(
      {{{"name", "issuer.package"}, {"directory", *issuer_url + kDirectoryPath}, {"key", issuer_key}}});
  WriteText(srv + "/trust.json", trust.dump());
  if (as_nobody) {
    ASSERT_EQ(chown((srv + "/trust.json").c_str(), nobody->pw_uid, nobody->pw_gid), 0);
  }
  const int port = testing::FreePort();
  const std::string origin = "http://127.0.0.1:" + std::to_string(port);
  auto verifier_proc = ChildProcess::Start(
      traced(dir + "/verifier.strace", {verifier, "serve", "--origin", origin, "--trust", srv + "/trust.json",
                                        "--listen", "127.0.0.1:" + std::to_string(port), "--spent-store",
                                        "sqlite:" + srv + "/spent.sqlite", "--secret-file", srv + "/verifier.secret"}),
      dir + "/verifier.log");
  ASSERT_TRUE(verifier_proc);
  ASSERT_TRUE(verifier_proc->WaitForListening(std::chrono::seconds(60))) << ReadText(dir + "/verifier.log");

  r = RunProcess(as_service({issuer, "enroll", "--state", srv + "/issuer", "--birth-date", YearsAgo(30)}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string ticket = TrimEnd(r.out);
  const std::string w = PrivateDir("package", "wallet");
  const std::vector<std::string> wallet_argv = {wallet, "--wallet", w + "/wallet", "--key-file", w + "/wallet.key"};
  auto yesno = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = wallet_argv;
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv);
  };
  r = yesno({"init"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = yesno({"enroll", "--issuer", *issuer_url, "--issuer-key", issuer_key, "--ticket", ticket});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = yesno({"refill"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = yesno({"prove", "--verifier", origin, "--claim", "age_over_18"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "yes\n");

  // 7. SIGTERM: both drain and exit 0 (the units stop them this way; Restart=on-failure leaves exit 0 alone).
  // Under strace (or runuser) the signal goes to the server itself; the wrapper then exits with the server's
  // exit code (runuser answers a SIGTERM of its own by killing its child and exiting non-zero).
  const bool wrapped = !strace.empty() || as_nobody;
  const pid_t issuer_pid = wrapped ? TracedPid(issuer_proc->pid()) : issuer_proc->pid();
  const pid_t verifier_pid = wrapped ? TracedPid(verifier_proc->pid()) : verifier_proc->pid();
  if (wrapped) {
    ASSERT_NE(issuer_pid, issuer_proc->pid()) << "no wrapped issuer process found";
    ASSERT_NE(verifier_pid, verifier_proc->pid()) << "no wrapped verifier process found";
  }
  kill(issuer_pid, SIGTERM);
  kill(verifier_pid, SIGTERM);
  EXPECT_EQ(issuer_proc->Wait(std::chrono::seconds(30)), 0) << ReadText(dir + "/issuer.log");
  EXPECT_EQ(verifier_proc->Wait(std::chrono::seconds(30)), 0) << ReadText(dir + "/verifier.log");

  // 8. Every system call the servers made passes the units' SystemCallFilter.
  const std::string analyze = FindOnPath("systemd-analyze");
#if defined(__SANITIZE_ADDRESS__)
  const bool sanitized = true;  // the sanitizer runtime makes calls of its own; nobody ships this build
#else
  const bool sanitized = false;
#endif
  if (strace.empty() || analyze.empty() || sanitized) {
    std::cout << "[ SKIPPED  ] the SystemCallFilter check: "
              << (sanitized ? "sanitizer build" : "strace or systemd-analyze is missing") << "\n";
  } else {
    std::set<std::string> allowed = FilterSet(analyze, "@system-service");
    ASSERT_GT(allowed.size(), 100u);
    for (const auto& unit : kSystemUnits) {
      const auto filters = UnitValues(ReadText(std::string(kUnitDir) + "/" + unit), "SystemCallFilter");
      ASSERT_EQ(filters, (std::vector<std::string>{"@system-service", "~@privileged @resources"})) << unit;
    }
    for (const char* group : {"@privileged", "@resources"}) {
      for (const auto& name : FilterSet(analyze, group)) allowed.erase(name);
    }
    for (const char* log : {"/issuer.strace", "/verifier.strace"}) {
      const auto calls = SystemCalls(ReadText(dir + log));
      EXPECT_GT(calls.size(), 20u) << log;
      std::string used;
      for (const auto& c : calls) {
        used += c + " ";
        EXPECT_TRUE(allowed.count(c)) << log << ": " << c << " is outside @system-service minus @privileged @resources";
      }
      std::cout << "[ syscalls ] " << log << " (" << calls.size() << "): " << used << "\n";
    }
  }
  fs::remove_all(w);
  fs::remove_all(srv);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace yesno

#endif
