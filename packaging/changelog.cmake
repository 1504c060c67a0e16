# Checks that the top entry of packaging/changelog carries the project version
# and, given SX_CHANGELOG_GZ, writes it compressed the way Debian ships
# changelogs (gzip -9n: no name, no timestamp, so every build and architecture
# gets identical bytes, which Multi-Arch: same requires).
# Included at configure time by cmake/SxPackaging.cmake, run with -P at build time.
# In: SX_CHANGELOG_IN, SX_PROJECT_VERSION, optional SX_CHANGELOG_GZ.
file(READ "${SX_CHANGELOG_IN}" _sx_text LIMIT 200)
string(REGEX MATCH "^[^\n]*" _sx_top "${_sx_text}")
if(NOT "${_sx_top}" MATCHES "^se05x-pkcs11 \\(([^)]+)\\) [a-z-]+; urgency=[a-z]+$")
  message(FATAL_ERROR "${SX_CHANGELOG_IN}: first line must be "
                      "'se05x-pkcs11 (VERSION) unstable; urgency=medium', got '${_sx_top}'")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL SX_PROJECT_VERSION)
  message(FATAL_ERROR "${SX_CHANGELOG_IN}: top entry is version ${CMAKE_MATCH_1} but project() says "
                      "${SX_PROJECT_VERSION}; add a changelog entry for ${SX_PROJECT_VERSION} "
                      "(docs/packaging.md, 'Bumping the version')")
endif()
if(SX_CHANGELOG_GZ)
  get_filename_component(_sx_dir "${SX_CHANGELOG_GZ}" DIRECTORY)
  file(MAKE_DIRECTORY "${_sx_dir}")
  execute_process(COMMAND gzip -9n -c "${SX_CHANGELOG_IN}" OUTPUT_FILE "${SX_CHANGELOG_GZ}.tmp"
                  RESULT_VARIABLE _sx_rc)
  if(NOT _sx_rc EQUAL 0)
    message(FATAL_ERROR "gzip -9n ${SX_CHANGELOG_IN} failed (${_sx_rc})")
  endif()
  file(RENAME "${SX_CHANGELOG_GZ}.tmp" "${SX_CHANGELOG_GZ}")
endif()
