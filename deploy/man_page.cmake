# man_page.cmake — cmake -P script: a gzipped man page for one of yesno's programs, from its --help and
# --version (help2man) plus one section with every subcommand's own --help.
#   cmake -DPROGRAM=/path/to/yesno -DDESCRIPTION="..." -DOUTPUT=/path/to/yesno.1.gz -DHELP2MAN=... -P man_page.cmake
# The program is run by its bare name (its directory put first on PATH) so the page says
# "Usage: yesno ..." and not the build directory's path.
foreach(var PROGRAM DESCRIPTION OUTPUT HELP2MAN)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "man_page.cmake: -D${var}=... is required")
  endif()
endforeach()
get_filename_component(dir "${PROGRAM}" DIRECTORY)
get_filename_component(name "${PROGRAM}" NAME)
set(ENV{PATH} "${dir}:$ENV{PATH}")
set(ENV{COLUMNS} 100)
set(ENV{LC_ALL} C.UTF-8)

execute_process(COMMAND "${name}" --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${name} --help failed (${rc})")
endif()

# Subcommand names: the lines "  NAME   description" under "Subcommands:".
string(REGEX REPLACE "^.*\nSubcommands:\n" "" subs_block "${help}")
string(REPLACE "\n" ";" sub_lines "${subs_block}")
set(include_text "[SUBCOMMANDS]\n")
foreach(line IN LISTS sub_lines)
  if(line MATCHES "^  ([a-z][a-z0-9-]*) ")
    set(sub "${CMAKE_MATCH_1}")
    execute_process(COMMAND "${name}" ${sub} --help OUTPUT_VARIABLE sub_help RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "${name} ${sub} --help failed (${rc})")
    endif()
    # roff: escape backslashes, and protect lines starting with . or '
    string(REPLACE "\\" "\\e" sub_help "${sub_help}")
    string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" sub_help "${sub_help}")
    string(APPEND include_text ".SS \"${name} ${sub}\"\n.nf\n${sub_help}.fi\n")
  endif()
endforeach()
string(APPEND include_text "[SEE ALSO]\n")
string(APPEND include_text "The project's documentation: docs/operations.md (running the servers), docs/api.md (HTTP APIs), "
                           "docs/protocol.md; installed under /usr/share/doc/yesno-server or /usr/share/doc/yesno-wallet.\n")

get_filename_component(out_dir "${OUTPUT}" DIRECTORY)
string(REGEX REPLACE "\\.gz$" "" page "${OUTPUT}")
file(MAKE_DIRECTORY "${out_dir}")
file(WRITE "${page}.include" "${include_text}")
execute_process(COMMAND "${HELP2MAN}" --no-info --no-discard-stderr --locale=C.UTF-8 --section=1 "--name=${DESCRIPTION}"
                        "--include=${page}.include" "--output=${page}" "${name}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "help2man failed for ${name} (${rc})")
endif()
# Debian wants man pages gzipped, reproducibly (-n: no name or time stamp inside).
file(REMOVE "${OUTPUT}")
execute_process(COMMAND gzip -9n "${page}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gzip failed for ${page} (${rc})")
endif()
