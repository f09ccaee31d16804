#include "node_package.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "files.h"
#include "testing/process.h"

namespace yesno::testing {
namespace {

constexpr auto kNpmCiTimeout = std::chrono::seconds(150);

// LooksOffline tells whether npm failed for want of the registry (rather than
// for a broken lock file or package).
bool LooksOffline(const std::string& out) {
  for (const char* marker : {"ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENETUNREACH",
                             "EHOSTUNREACH", "network", "ENOTCACHED", "socket hang up"}) {
    if (out.find(marker) != std::string::npos) return true;
  }
  return false;
}

bool IsPackageFile(const std::string& name) { return name == "package.json" || name == "package-lock.json"; }

}  // namespace

std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  const std::string p = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= p.size()) {
    const std::size_t end = std::min(p.find(':', start), p.size());
    const std::string candidate = p.substr(start, end - start) + "/" + name;
    if (end > start && access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

NodePackage PrepareNodePackage(const NodePackageSpec& spec) {
  NodePackage s;
  s.node = FindOnPath("node");
  const std::string npm = FindOnPath("npm");
  if (s.node.empty() || npm.empty()) {
    s.skip = true;
    s.why = "node and npm are needed (Node >= 20); not found on PATH";
    return s;
  }
  auto version = RunProcess({s.node, "--version"}, "", std::chrono::seconds(20));
  int major = 0;
  if (version.exit_code == 0 && version.out.size() > 1) major = std::atoi(version.out.c_str() + 1);
  if (major < 20) {
    s.skip = true;
    s.why = "Node >= 20 is needed; found '" + TrimEnd(version.out) + "'";
    return s;
  }

  s.dir = spec.work_dir;
  std::filesystem::create_directories(s.dir);
  const std::string lock_path = s.dir + "/.lock";
  const int lock = open(lock_path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (lock < 0 || flock(lock, LOCK_EX) != 0) {
    if (lock >= 0) close(lock);
    s.why = "cannot lock " + lock_path;
    return s;
  }
  struct Unlock {
    int fd;
    ~Unlock() { close(fd); }
  } unlock{lock};

  // Copy the sources (atomically: another test process may be running node).
  const std::string source_name = "tests/" + std::filesystem::path(spec.source_dir).filename().string();
  bool package_changed = false;
  for (const std::string& f : spec.files) {
    auto src = files::ReadFile(spec.source_dir + "/" + f);
    if (!src.ok()) {
      s.why = "cannot read " + source_name + "/" + f;
      return s;
    }
    auto dst = files::ReadFile(s.dir + "/" + f);
    if (dst.ok() && *dst == *src) continue;
    if (IsPackageFile(f)) package_changed = true;
    if (!files::WriteFileAtomic(s.dir + "/" + f, *src, 0644).ok()) {
      s.why = "cannot write " + s.dir + "/" + f;
      return s;
    }
  }
  const bool installed = std::filesystem::exists(s.dir + "/node_modules/.package-lock.json") &&
                         std::filesystem::exists(s.dir + "/node_modules/" + spec.installed_module + "/package.json");
  if (package_changed || !installed) {
    std::cerr << "[" << spec.tag << "] npm ci in " << s.dir << " (pinned by " << source_name
              << "/package-lock.json)\n";
    // RunProcess has no working directory: npm's --prefix names the package.
    auto ci = RunProcess({npm, "ci", "--prefix", s.dir, "--prefer-offline", "--no-audit", "--no-fund",
                          "--loglevel=error"},
                         "", kNpmCiTimeout);
    if (ci.exit_code != 0) {
      const std::string out = ci.out + ci.err;
      const std::string timed_out = ci.timed_out ? " [timed out after 150 s]" : "";
      if (ci.timed_out || LooksOffline(out)) {
        s.skip = true;
        s.why = "npm ci could not reach the npm registry (and the cache cannot serve the lock file)" + timed_out +
                ":\n" + out.substr(0, 2000);
      } else {
        s.skip = spec.skip_on_any_install_failure;
        s.why = "npm ci failed" + timed_out + ":\n" + out.substr(0, 3000);
      }
      return s;
    }
  }
  s.ready = true;
  return s;
}

}  // namespace yesno::testing
