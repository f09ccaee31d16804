# YesnoTestPaths.cmake — yesno_test_path_defs, for tests and benchmarks.
#
# Paths reach the tests relative to the build or source root and are made
# absolute at run time (testing/build_paths.h): the same compile command in
# every clone, so ccache hits across folders. yesno_test_path_defs(target
# PRIVATE|PUBLIC NAME=build:REL|source:REL|target:TARGET ...) defines NAME
# that way (target: the file TARGET builds, relative to the build root).
function(yesno_test_path_defs target scope)
  set(defs)
  foreach(def ${ARGN})
    string(REGEX MATCH "^([A-Z_]+)=(build|source|target):(.*)$" ok "${def}")
    if(NOT ok)
      message(FATAL_ERROR "yesno_test_path_defs: ${def} is not NAME=build:REL, NAME=source:REL or NAME=target:TARGET")
    endif()
    if(CMAKE_MATCH_2 STREQUAL "target")
      list(APPEND defs "${CMAKE_MATCH_1}=::yesno::testing::BuildTreePath(\"$<PATH:RELATIVE_PATH,$<TARGET_FILE:${CMAKE_MATCH_3}>,${CMAKE_BINARY_DIR}>\")")
    elseif(CMAKE_MATCH_2 STREQUAL "build")
      list(APPEND defs "${CMAKE_MATCH_1}=::yesno::testing::BuildTreePath(\"${CMAKE_MATCH_3}\")")
    else()
      list(APPEND defs "${CMAKE_MATCH_1}=::yesno::testing::SourceTreePath(\"${CMAKE_MATCH_3}\")")
    endif()
  endforeach()
  target_compile_definitions(${target} ${scope} ${defs})
endfunction()
