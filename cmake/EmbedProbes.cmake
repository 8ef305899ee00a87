# Embeds probes/<m>.bpf.c (quoted #includes inlined) as C strings `em_probe_<m>` for every
# MONITOR(<m>) line of monitors.def, with a small host tool built first; sets names_var to the
# monitors' names, in the file's order.
function(embed_probes def_file out_file names_var)
  file(STRINGS ${def_file} _lines REGEX "^MONITOR\\(")
  set(_names "")
  foreach(_l ${_lines})
    string(REGEX REPLACE "^MONITOR\\(([a-z_]+)\\).*" "\\1" _n "${_l}")
    list(APPEND _names ${_n})
  endforeach()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${def_file})
  add_executable(embed_probe ${CMAKE_SOURCE_DIR}/cmake/embed_probe.c)
  file(GLOB _probe_files ${CMAKE_SOURCE_DIR}/probes/*.h ${CMAKE_SOURCE_DIR}/probes/*.bpf.c)
  add_custom_command(
    OUTPUT ${out_file}
    COMMAND embed_probe ${out_file} ${CMAKE_SOURCE_DIR}/probes ${_names}
    DEPENDS embed_probe ${def_file} ${_probe_files}
    COMMENT "Embedding BPF probe sources")
  set(${names_var} ${_names} PARENT_SCOPE)
endfunction()
