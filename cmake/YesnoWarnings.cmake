# yesno_set_warnings(target): the project's warning set, errors with YESNO_WERROR.
function(yesno_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
                                           -Wnon-virtual-dtor -Wold-style-cast -Wimplicit-fallthrough)
  if(YESNO_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
