# aarch64-linux-gnu.cmake - cross build for arm64 (CMAKE_TOOLCHAIN_FILE), on Debian's
# gcc-aarch64-linux-gnu against an arm64 root file system as the sysroot (scripts/setup.sh
# --arm64 makes one under /var/cache/ebpf-monitor/arm64/root; EM_ARM64_ROOT names another). The
# build's own tools (embed_probe, gen_syscalls) and the tests run under qemu-aarch64 user
# emulation (package qemu-user-static).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)

if(NOT EM_ARM64_ROOT)
  if(DEFINED ENV{EM_ARM64_ROOT})
    set(EM_ARM64_ROOT $ENV{EM_ARM64_ROOT})
  else()
    set(EM_ARM64_ROOT /var/cache/ebpf-monitor/arm64/root)
  endif()
endif()
set(EM_ARM64_ROOT ${EM_ARM64_ROOT} CACHE PATH "the arm64 root file system used as the sysroot")
if(NOT EXISTS ${EM_ARM64_ROOT}/usr/include/aarch64-linux-gnu)
  message(FATAL_ERROR "no arm64 root file system at ${EM_ARM64_ROOT}: run "
                      "scripts/setup.sh --arm64, or set EM_ARM64_ROOT")
endif()
set(CMAKE_SYSROOT ${EM_ARM64_ROOT})
set(CMAKE_FIND_ROOT_PATH ${EM_ARM64_ROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# pkg-config answers for the arm64 root, its paths prefixed with it
set(ENV{PKG_CONFIG_SYSROOT_DIR} ${EM_ARM64_ROOT})
set(ENV{PKG_CONFIG_LIBDIR}
    ${EM_ARM64_ROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${EM_ARM64_ROOT}/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
# the libraries' own dependencies (libbcc's LLVM), found at link time in the root too
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,${EM_ARM64_ROOT}/usr/lib/aarch64-linux-gnu")
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64-static;-L;${EM_ARM64_ROOT})
