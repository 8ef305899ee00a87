# Install.cmake - the installed layout (binary, packaged config, systemd unit, man page, bash
# completion, state and log directories) and the .deb built by CPack (`cpack -G DEB`).
#
# With -DCMAKE_INSTALL_PREFIX=/usr (what packages use; give the prefix when configuring, not to
# `cmake --install --prefix`, since the unit and config name the paths) the layout is:
#   /usr/bin/ebpf-monitor
#   /etc/ebpf-monitor/monitor_config.yaml            config/monitor_config.packaged.yaml
#   <unitdir>/ebpf-monitor.service                   packaging/systemd/ebpf-monitor.service.in
#     (written for the systemd version it runs under: EM_SYSTEMD_VERSION, below)
#     (pkg-config systemd: /lib/systemd/system on Debian 12, /usr/lib/systemd/system on RHEL)
#   /usr/share/man/man8/ebpf-monitor.8               docs/ebpf-monitor.8
#   /usr/share/bash-completion/completions/ebpf-monitor
#   /usr/share/ebpf-monitor/grafana/ebpf-monitor.json  packaging/grafana/ebpf-monitor.json
#   /var/lib/ebpf-monitor/output  /var/log/ebpf-monitor   (0750)
# /run/ebpf-monitor is not packaged (a tmpfs): the unit's RuntimeDirectory= creates it.
# The state, log and run paths are fixed, as systemd's StateDirectory=, LogsDirectory= and
# RuntimeDirectory= are; only the binary and config paths follow the prefix.
include(GNUInstallDirs)

# The unit directory: systemd's own answer (pkg-config) for a /usr install, else under the prefix.
set(_em_unitdir lib/systemd/system)
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" AND PKG_CONFIG_FOUND)
  pkg_get_variable(_em_pc_unitdir systemd systemdsystemunitdir)
  if(_em_pc_unitdir)
    set(_em_unitdir ${_em_pc_unitdir})
  endif()
endif()
set(EM_SYSTEMD_UNITDIR "${_em_unitdir}"
    CACHE STRING "systemd unit directory, absolute or under the prefix (RPM: %{_unitdir})")
set(EM_STATE_DIR /var/lib/ebpf-monitor)
set(EM_LOG_DIR /var/log/ebpf-monitor)

install(TARGETS ebpf-monitor RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The unit for the systemd it will run under: packaging/systemd/unit.awk keeps the lines of
# packaging/systemd/ebpf-monitor.service.in that systemd EM_SYSTEMD_VERSION knows. The RPM spec
# gives the version per release (219 RHEL 7, 239 RHEL 8, 250 RHEL 9); otherwise the build
# host's systemd (pkg-config), and where it has none the unit for current systemd.
set(EM_SYSTEMD_VERSION "" CACHE STRING
    "systemd version the unit is written for (219 RHEL 7, 239 RHEL 8, 250 RHEL 9); empty: the host's")
set(_em_systemd_version "${EM_SYSTEMD_VERSION}")
set(_em_systemd_from "EM_SYSTEMD_VERSION")
if(_em_systemd_version STREQUAL "" AND PKG_CONFIG_FOUND)
  execute_process(COMMAND ${PKG_CONFIG_EXECUTABLE} --modversion systemd
                  OUTPUT_VARIABLE _em_pc_systemd OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_em_pc_systemd MATCHES "^([0-9]+)")
    set(_em_systemd_version ${CMAKE_MATCH_1})
    set(_em_systemd_from "pkg-config systemd")
  endif()
endif()
if(_em_systemd_version STREQUAL "")
  # No systemd here: every guard "@>=N" holds, the unit for current systemd.
  set(_em_systemd_version 9999)
endif()
if(NOT _em_systemd_version MATCHES "^[0-9]+$" OR _em_systemd_version LESS 219)
  message(FATAL_ERROR "EM_SYSTEMD_VERSION=${_em_systemd_version}: give the systemd version the "
                      "unit is for, as a number of 219 (RHEL/CentOS 7) or newer")
endif()
find_program(EM_AWK NAMES gawk mawk awk)
if(NOT EM_AWK)
  message(FATAL_ERROR "awk not found: it writes the systemd unit (install gawk or mawk)")
endif()
execute_process(COMMAND ${EM_AWK} -v version=${_em_systemd_version}
                        -f ${CMAKE_CURRENT_SOURCE_DIR}/packaging/systemd/unit.awk
                        ${CMAKE_CURRENT_SOURCE_DIR}/packaging/systemd/ebpf-monitor.service.in
                OUTPUT_VARIABLE _em_unit RESULT_VARIABLE _em_unit_rc)
if(NOT _em_unit_rc EQUAL 0)
  message(FATAL_ERROR "packaging/systemd/unit.awk failed (${_em_unit_rc})")
endif()
if(_em_systemd_version EQUAL 9999)
  message(STATUS "systemd unit: for current systemd (no systemd.pc; -DEM_SYSTEMD_VERSION=N for "
                 "an older one)")
else()
  message(STATUS "systemd unit: for systemd ${_em_systemd_version} (${_em_systemd_from})")
endif()

# The unit and the config name /usr/bin and /etc literally (so the unit written for this host's
# systemd can be checked by systemd-analyze as it is); another prefix gets its own paths written
# in.
set(_em_bin ${CMAKE_INSTALL_FULL_BINDIR}/ebpf-monitor)
set(_em_conf ${CMAKE_INSTALL_FULL_SYSCONFDIR}/ebpf-monitor/monitor_config.yaml)
string(REPLACE "/usr/bin/ebpf-monitor" "${_em_bin}" _em_unit "${_em_unit}")
string(REPLACE "/etc/ebpf-monitor/monitor_config.yaml" "${_em_conf}" _em_unit "${_em_unit}")
file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/packaging/ebpf-monitor.service
     CONTENT "${_em_unit}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${CMAKE_CURRENT_SOURCE_DIR}/packaging/systemd/ebpf-monitor.service.in
             ${CMAKE_CURRENT_SOURCE_DIR}/packaging/systemd/unit.awk)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/packaging/ebpf-monitor.service
        DESTINATION ${EM_SYSTEMD_UNITDIR})

install(FILES config/monitor_config.packaged.yaml
        DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/ebpf-monitor
        RENAME monitor_config.yaml
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
install(FILES docs/ebpf-monitor.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES contrib/bash-completion/ebpf-monitor
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES packaging/grafana/ebpf-monitor.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/ebpf-monitor/grafana)

# Empty directories, owner root, 0750: CSV files and logs show what every process ran.
set(_em_dir_mode OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE)
install(DIRECTORY DESTINATION ${EM_STATE_DIR} DIRECTORY_PERMISSIONS ${_em_dir_mode})
install(DIRECTORY DESTINATION ${EM_STATE_DIR}/output DIRECTORY_PERMISSIONS ${_em_dir_mode})
install(DIRECTORY DESTINATION ${EM_LOG_DIR} DIRECTORY_PERMISSIONS ${_em_dir_mode})

# ---- .deb through CPack: cpack -G DEB (configure with -DCMAKE_INSTALL_PREFIX=/usr) ----
set(CPACK_PACKAGE_NAME ebpf-monitor)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "ebpf-monitor maintainers <root@localhost>"
    CACHE STRING "Maintainer field of the .deb")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Low-overhead eBPF system monitor writing CSV files")
set(CPACK_PACKAGE_DESCRIPTION
    "ebpf-monitor compiles small BPF probes at startup with BCC (libbcc), attaches\n"
    "each one to the best hook the running kernel offers and writes one CSV file\n"
    "per monitor: exec, syscall, open, bio, interrupt, page_fault, context_switch\n"
    "and func. It runs as a hardened systemd service (not enabled by installing\n"
    "the package: systemctl enable --now ebpf-monitor) or in the foreground.")
string(REPLACE ";" "" CPACK_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_PACKAGE_INSTALL_DIRECTORY ebpf-monitor)
# Absolute destinations (/etc, /var) are staged under DESTDIR, never written to the build host.
set(CPACK_SET_DESTDIR ON)
# Debian ships stripped binaries (RPM distributions strip into -debuginfo themselves).
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)
set(CPACK_VERBATIM_VARIABLES ON)
# The RPM's Source0 (`cmake --build build-pkg --target package_source`): the working tree, so a
# checkout without git history (or with uncommitted changes) packages too.
set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_PACKAGE_FILE_NAME ebpf-monitor-${PROJECT_VERSION})
string(REGEX REPLACE "([][+.*()^$?|\\])" "\\\\\\1" _em_src_re "${CMAKE_CURRENT_SOURCE_DIR}")
set(CPACK_SOURCE_IGNORE_FILES
    "^${_em_src_re}/\\.git/" "^${_em_src_re}/build[^/]*/" "^${_em_src_re}/(output|logs|temp)/"
    "/__pycache__/" "\\.pyc$" "\\.tmp$" "\\.swp$" "~$" "^${_em_src_re}/tests/vm/artifacts/")

set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# libgnutls30: the metrics endpoint's TLS (libmicrohttpd12 uses it too); libcrypt1: bcrypt.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libbpfcc (>= 0.18), libyaml-0-2, libmicrohttpd12, libgnutls30, libcrypt1, libc6")
# bcc compiles the probes against /lib/modules/$(uname -r)/build: the headers of the running
# kernel. Only a meta package can be named here; scripts/setup.sh handles custom kernels.
# A cross build (cmake/aarch64-linux-gnu.cmake) packs for its target, not for this host.
find_program(EM_DPKG dpkg)
if(CMAKE_CROSSCOMPILING AND CMAKE_SYSTEM_PROCESSOR STREQUAL "aarch64")
  set(_em_deb_arch arm64)
elseif(CMAKE_CROSSCOMPILING AND CMAKE_SYSTEM_PROCESSOR STREQUAL "x86_64")
  set(_em_deb_arch amd64)
elseif(EM_DPKG)
  execute_process(COMMAND ${EM_DPKG} --print-architecture OUTPUT_VARIABLE _em_deb_arch
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()
if(_em_deb_arch)
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${_em_deb_arch})
  set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "linux-headers-${_em_deb_arch} | linux-headers-generic")
endif()
# conffiles: dpkg keeps a locally edited config across upgrades (RPM: %config(noreplace)).
file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/packaging/conffiles CONTENT "${_em_conf}\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_BINARY_DIR}/packaging/conffiles
    ${CMAKE_CURRENT_SOURCE_DIR}/packaging/deb/postinst
    ${CMAKE_CURRENT_SOURCE_DIR}/packaging/deb/prerm
    ${CMAKE_CURRENT_SOURCE_DIR}/packaging/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
