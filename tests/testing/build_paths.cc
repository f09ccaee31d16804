#include "testing/build_paths.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace yesno::testing {
namespace {

[[noreturn]] void Fail(const std::string& why) {
  std::fprintf(stderr, "build_paths: %s\n", why.c_str());
  std::abort();
}

std::string FindBuildRoot() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) Fail("cannot read /proc/self/exe: " + ec.message());
  for (std::filesystem::path dir = exe.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    if (std::filesystem::exists(dir / "CMakeCache.txt", ec)) return dir.string();
    if (dir == dir.root_path()) break;
  }
  Fail(exe.string() + " is not inside a CMake build tree (no CMakeCache.txt above it)");
}

std::string FindSourceRoot() {
  const std::string cache = BuildRoot() + "/CMakeCache.txt";
  std::ifstream in(cache);
  const std::string key = "CMAKE_HOME_DIRECTORY:INTERNAL=";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key, 0) == 0) return line.substr(key.size());
  }
  Fail(cache + " names no CMAKE_HOME_DIRECTORY");
}

}  // namespace

const std::string& BuildRoot() {
  static const std::string root = FindBuildRoot();
  return root;
}

const std::string& SourceRoot() {
  static const std::string root = FindSourceRoot();
  return root;
}

std::string BuildTreePath(std::string_view relative) { return BuildRoot() + "/" + std::string(relative); }

std::string SourceTreePath(std::string_view relative) { return SourceRoot() + "/" + std::string(relative); }

}  // namespace yesno::testing
