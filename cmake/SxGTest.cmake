# GoogleTest: Debian's packaged libraries natively; built from Debian's source
# package (/usr/src/googletest) when cross-compiling, since no armhf binaries exist.
if(CMAKE_CROSSCOMPILING)
  set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
  add_subdirectory(/usr/src/googletest ${CMAKE_BINARY_DIR}/googletest EXCLUDE_FROM_ALL)
  # googletest's own CMake defines the GTest:: aliases.
else()
  find_package(GTest REQUIRED)
endif()
include(GoogleTest)

# The repository's one RSA test key. Simulated chips of the test suite take it as their
# factory RSA key (SE05X_SIM_FACTORY_RSA_KEY) instead of generating one per test process
# (seconds under qemu); tests/support/test_rsa_key.h loads it for tests that import it.
set(SX_TEST_RSA_KEY_FILE ${PROJECT_SOURCE_DIR}/tests/support/rsa2048_test_key.pem)

# sx_test(NAME SOURCES ... DEPS ... [LABELS ...]): one gtest binary, each TEST
# registered with CTest separately so failures are named.
function(sx_test name)
  cmake_parse_arguments(A "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_compile_options(${name} PRIVATE ${SX_WARNINGS})
  target_link_libraries(${name} PRIVATE ${A_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 300)
  endif()
  if(NOT A_LABELS)
    set(A_LABELS unit)
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST
    PROPERTIES LABELS "${A_LABELS}" TIMEOUT ${A_TIMEOUT} ENVIRONMENT "SE05X_SIM_FACTORY_RSA_KEY=${SX_TEST_RSA_KEY_FILE}"
    WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
endfunction()
