# Turns probes/<m>.bpf.c (with its quoted #includes inlined) into C string constants
# `em_probe_<m>` for every MONITOR(<m>) line of monitors.def.
set(_EM_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_probe_text.cmake)

function(embed_probes def_file out_file)
  file(STRINGS ${def_file} _lines REGEX "^MONITOR\\(")
  set(_names "")
  set(_deps ${def_file} ${_EM_EMBED_SCRIPT})
  foreach(_l ${_lines})
    string(REGEX REPLACE "^MONITOR\\(([a-z_]+)\\).*" "\\1" _n "${_l}")
    list(APPEND _names ${_n})
  endforeach()
  file(GLOB _probe_files ${CMAKE_SOURCE_DIR}/probes/*.h ${CMAKE_SOURCE_DIR}/probes/*.bpf.c)
  list(APPEND _deps ${_probe_files})
  string(REPLACE ";" "," _names_csv "${_names}")
  add_custom_command(
    OUTPUT ${out_file}
    COMMAND ${CMAKE_COMMAND} -DNAMES=${_names_csv} -DPROBE_DIR=${CMAKE_SOURCE_DIR}/probes
            -DOUT=${out_file} -P ${_EM_EMBED_SCRIPT}
    DEPENDS ${_deps}
    COMMENT "Embedding BPF probe sources")
endfunction()
