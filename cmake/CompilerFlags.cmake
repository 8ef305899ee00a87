# Warnings as errors (EM_WERROR) and an ASan+UBSan build (EM_SANITIZE).
option(EM_WERROR "Treat compiler warnings as errors" ON)
option(EM_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)

add_compile_options(-Wall -Wextra -Wformat=2 -Wshadow -Wno-unused-parameter
                    -Wno-missing-field-initializers -fno-strict-aliasing)
if(EM_WERROR)
  add_compile_options(-Werror)
endif()
if(EM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
