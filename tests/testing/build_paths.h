// build_paths.h — where tests and benchmarks find the built binaries and the
// source tree.
//
// CMake passes these locations relative to the build tree's root (for example
// YESNO_ISSUER_PATH expands to BuildTreePath("server/issuer/yesno-issuer")),
// so a compile command is the same in every clone of the repository and
// ccache hits across folders (docs/hardening.md, "Build loop"). They are made
// absolute here, at run time: the build root is the nearest directory above
// the running executable that holds CMakeCache.txt, and the source root is
// the CMAKE_HOME_DIRECTORY that cache names.
#ifndef YESNO_TESTS_TESTING_BUILD_PATHS_H_
#define YESNO_TESTS_TESTING_BUILD_PATHS_H_

#include <string>
#include <string_view>

namespace yesno::testing {

// BuildRoot is the build tree's root (absolute); it aborts with a message if
// the running executable is not inside a CMake build tree.
const std::string& BuildRoot();
// SourceRoot is the source tree's root (absolute), from BuildRoot's cache.
const std::string& SourceRoot();
// BuildTreePath is BuildRoot() + "/" + relative; SourceTreePath likewise.
std::string BuildTreePath(std::string_view relative);
std::string SourceTreePath(std::string_view relative);

}  // namespace yesno::testing

#endif  // YESNO_TESTS_TESTING_BUILD_PATHS_H_
