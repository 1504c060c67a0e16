# CPACK_PROJECT_CONFIG_FILE of cross builds (cmake/SxPackaging.cmake): cpack
# includes it before generating the packages. It fills each component's
# Depends: from dpkg-shlibdeps run against the target architecture's own
# shlibs/symbols files (packaging/cross-shlibdeps.sh), which is what CPack's
# built-in CPACK_DEBIAN_PACKAGE_SHLIBDEPS does for native builds.
if(NOT CPACK_GENERATOR STREQUAL "DEB" OR NOT CPACK_SX_CROSS_ARCH)
  return()
endif()
include("${CPACK_SX_BINARY_DIR}/packaging/binaries.cmake")
set(_sx_args)
foreach(_sx_comp IN LISTS CPACK_COMPONENTS_ALL)
  string(TOUPPER "${_sx_comp}" _sx_c)
  list(JOIN SX_DEB_BINARIES_${_sx_c} "," _sx_files)
  list(APPEND _sx_args "${_sx_comp}=${_sx_files}")
endforeach()
execute_process(
  COMMAND bash "${CPACK_SX_SOURCE_DIR}/packaging/cross-shlibdeps.sh"
          "${CPACK_SX_CROSS_ARCH}" "${CPACK_SX_BINARY_DIR}/packaging/shlibs-${CPACK_SX_CROSS_ARCH}" ${_sx_args}
  OUTPUT_VARIABLE _sx_out RESULT_VARIABLE _sx_rc)
if(NOT _sx_rc EQUAL 0)
  message(FATAL_ERROR "packaging/cross-shlibdeps.sh failed (see above): no Depends for ${CPACK_SX_CROSS_ARCH}")
endif()
foreach(_sx_comp IN LISTS CPACK_COMPONENTS_ALL)
  string(TOUPPER "${_sx_comp}" _sx_c)
  if(NOT _sx_out MATCHES "(^|\n)${_sx_comp} ([^\n]+)")
    message(FATAL_ERROR "packaging/cross-shlibdeps.sh printed no Depends for ${_sx_comp}")
  endif()
  set(CPACK_DEBIAN_${_sx_c}_PACKAGE_DEPENDS "${CMAKE_MATCH_2}")
  message(STATUS "se05x packaging: ${_sx_comp} (${CPACK_SX_CROSS_ARCH}) Depends: ${CMAKE_MATCH_2}")
endforeach()
