// node_package.h — the Node side of the interop and browser tests.
//
// PrepareNodePackage finds node (>= 20) and npm, copies a package directory
// of tests/ (package.json, package-lock.json and its scripts) into the build
// tree and runs `npm ci` there, so node_modules never lands in the source
// tree. ctest runs every test in its own process, so the copy and the install
// are guarded by a file lock, and `npm ci` runs again only when the package
// files changed or the install is incomplete.
#ifndef YESNO_TESTS_INTEGRATION_NODE_PACKAGE_H_
#define YESNO_TESTS_INTEGRATION_NODE_PACKAGE_H_

#include <string>
#include <vector>

namespace yesno::testing {

// FindOnPath returns the path of executable `name` on $PATH, or "".
std::string FindOnPath(const std::string& name);

struct NodePackageSpec {
  std::string tag;                 // log prefix, e.g. "interop"
  std::string source_dir;          // e.g. <source>/tests/interop
  std::string work_dir;            // under the build tree
  std::vector<std::string> files;  // copied; a change to a package*.json file reinstalls
  std::string installed_module;    // node_modules/<this>/package.json proves the install
  // Without the registry the tests are always skipped. Any other `npm ci`
  // failure is a test failure, unless this is set (the browser test: skipped
  // whenever its browser side cannot be installed).
  bool skip_on_any_install_failure = false;
};

struct NodePackage {
  bool ready = false;  // node and the package are usable
  bool skip = false;   // node/npm/registry missing: skip, loudly
  std::string why;     // the reason (skip or failure)
  std::string node;    // path of node
  std::string dir;     // the work dir: the scripts and node_modules
};

NodePackage PrepareNodePackage(const NodePackageSpec& spec);

}  // namespace yesno::testing

#endif  // YESNO_TESTS_INTEGRATION_NODE_PACKAGE_H_
