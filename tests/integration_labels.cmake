# integration_labels.cmake — run by ctest (a TEST_INCLUDE_FILES script of tests/integration) right after
# gtest_discover_tests has defined the integration tests: it gives each one its labels from its name, so a
# new test file needs no CMake edit. Labels (see `scripts/test --help`, docs/hardening.md "Build loop"):
#   unit, kat       the two fast executables (set in tests/CMakeLists.txt)
#   integration     every test of yesno_integration_tests (real binaries and engines): the slow set,
#                   also labelled slow; on top, by suite name:
#     browser       Chromium / extension tests          fleet     Redis, Sentinel, Cluster, PostgreSQL fleets
#     oidc          OpenID Connect enrollment           package   the Debian package test (cpack)
#   smoke           the one end-to-end story `scripts/test --quick` runs with unit and kat
# The gtest include file sets yesno_integration_tests_TESTS (gtest_discover_tests' TEST_LIST).
set(yesno_smoke_regex "^WalletE2eTest\\.StoryOver18YesOver21NoReplayNo$")
foreach(yesno_test IN LISTS yesno_integration_tests_TESTS)
  set(yesno_labels integration slow)
  if(yesno_test MATCHES "${yesno_smoke_regex}")
    list(APPEND yesno_labels smoke)
  endif()
  if(yesno_test MATCHES "^[A-Za-z]*(Browser|Extension|Chromium|NativeHost|NativeMessaging)[A-Za-z]*\\.")
    list(APPEND yesno_labels browser)
  endif()
  if(yesno_test MATCHES "^[A-Za-z]*(Redis|Sentinel|Cluster|Fleet|Postgres|Pg)[A-Za-z]*\\.")
    list(APPEND yesno_labels fleet)
  endif()
  if(yesno_test MATCHES "^[A-Za-z]*(Oidc|OpenId)[A-Za-z]*\\.")
    list(APPEND yesno_labels oidc)
  endif()
  if(yesno_test MATCHES "^PackageTest\\.")
    list(APPEND yesno_labels package)
  endif()
  set_tests_properties("${yesno_test}" PROPERTIES LABELS "${yesno_labels}")
endforeach()
