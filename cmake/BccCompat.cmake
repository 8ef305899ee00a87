# BccCompat.cmake - what the bcc found offers, checked at configure time so that an unsupported
# bcc is one clear message, not a compiler error in src/bpf/. Supported: bcc 0.10 (RHEL/CentOS
# 7.7+) to 0.26; src/bpf/bcc_compat.h bridges the API changes between them.
#
# em_bcc_check(VERSION INCLUDE_DIRS) sets EM_BCC_DEFINES (compile definitions for the code that
# uses bcc): EM_BCC_HAVE_KFUNC where the headers declare bpf_attach_kfunc (0.14+).
include(CheckSymbolExists)

function(em_bcc_check version include_dirs)
  set(_help "Install bcc 0.10 or newer with its headers: libbpfcc-dev (Debian/Ubuntu), bcc-devel (RHEL/CentOS 7.7+, EPEL not needed); or point EM_BCC_INCLUDE_DIR and EM_BCC_VERSION at another bcc's headers.")
  if(NOT version OR version VERSION_LESS 0.10)
    message(FATAL_ERROR "bcc ${version} is older than 0.10, the oldest ebpf-monitor builds with. ${_help}")
  endif()
  set(CMAKE_REQUIRED_INCLUDES ${include_dirs})
  set(CMAKE_REQUIRED_QUIET ON)
  # Declared by the headers is what is checked (the matrix pairs headers with another library).
  set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
  # bcc_prog_load() (bcc 0.9+) is how programs are loaded; bpf_module_create_c_from_string() how
  # probes are compiled.
  unset(EM_BCC_HAS_PROG_LOAD CACHE)
  check_symbol_exists(bcc_prog_load "bcc/libbpf.h" EM_BCC_HAS_PROG_LOAD)
  if(NOT EM_BCC_HAS_PROG_LOAD)
    message(FATAL_ERROR "bcc ${version}: bcc/libbpf.h in ${include_dirs} declares no bcc_prog_load() (bcc 0.9+), which ebpf-monitor loads its programs with. ${_help}")
  endif()
  unset(EM_BCC_HAS_MODULE_CREATE CACHE)
  check_symbol_exists(bpf_module_create_c_from_string "bcc/bcc_common.h" EM_BCC_HAS_MODULE_CREATE)
  if(NOT EM_BCC_HAS_MODULE_CREATE)
    message(FATAL_ERROR "bcc ${version}: bcc/bcc_common.h in ${include_dirs} declares no bpf_module_create_c_from_string() (bcc 0.9+). ${_help}")
  endif()
  set(_defs "")
  unset(EM_BCC_HAS_KFUNC CACHE)
  check_symbol_exists(bpf_attach_kfunc "bcc/libbpf.h" EM_BCC_HAS_KFUNC)
  if(EM_BCC_HAS_KFUNC)
    list(APPEND _defs EM_BCC_HAVE_KFUNC=1)
  else()
    message(STATUS "bcc ${version} has no bpf_attach_kfunc (0.14+): the func monitor uses kprobes only")
  endif()
  set(EM_BCC_DEFINES ${_defs} PARENT_SCOPE)
endfunction()
