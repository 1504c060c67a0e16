# The armhf packages' binaries under their test suites (qemu-user): the .debs that
# packaging.debs built are unpacked into ${CMAKE_BINARY_DIR}/packaged-root, and the
# cross-built test executables run under the emulator with SX_TEST_MODULE,
# SX_TEST_SIM and SX_TEST_CLI pointing there instead of at the build tree.
# Included from tests/packaging/CMakeLists.txt (SX_PACKAGING_TESTS); needs the
# integration suites built (SX_QEMU_PACKAGED_TESTS, tests/pkcs11/CMakeLists.txt).
#   ctest -L 'unit|packag'    # in the armhf build dir
if(NOT CMAKE_CROSSCOMPILING OR NOT SX_QEMU_PACKAGED_TESTS)
  return()
endif()
if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
  message(WARNING "packaged_armhf: no CMAKE_CROSSCOMPILING_EMULATOR; the packaged armhf suites are not registered")
  return()
endif()

set(_pk_root ${CMAKE_BINARY_DIR}/packaged-root)
set(_pk_triplet ${SX_DEB_MULTIARCH})
if(NOT _pk_triplet)
  set(_pk_triplet arm-linux-gnueabihf)
endif()
# The installed files carry no RPATH: the sysroot's OpenSSL comes from LD_LIBRARY_PATH
# (the build tree's binaries find it through their build RPATH instead).
if(NOT SX_ARMHF_LIBDIR)
  set(SX_ARMHF_LIBDIR ${SX_ARMHF_SYSROOT}/usr/lib/${_pk_triplet})
endif()

add_test(NAME packaged.armhf.extract
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/extract-debs.sh ${SX_PACKAGES_DIR} ${_pk_root}
                 ${PROJECT_VERSION} ${SX_DEB_ARCH} ${_pk_triplet})
set_tests_properties(packaged.armhf.extract PROPERTIES LABELS packaged TIMEOUT 120
                     FIXTURES_REQUIRED sx_debs FIXTURES_SETUP sx_packaged_root)

# Children (se05x-sim, se05x) cannot be exec'd from a test running under qemu-user
# without binfmt_misc, so they are started through the emulator explicitly
# (tests/support/exec_wrapper.h). packaged-exec.sh runs ARM programs under the emulator,
# others natively, and refuses a product program that is not from the packaged root.
# The wrapper's words are split on blanks: no spaces in these paths.
list(JOIN CMAKE_CROSSCOMPILING_EMULATOR " " _pk_emulator)
set(_pk_wrapper "${PROJECT_SOURCE_DIR}/tests/support/packaged-exec.sh ${_pk_root} ${_pk_emulator} --")
set(_pk_env
    "SX_TEST_MODULE=${_pk_root}/usr/lib/${_pk_triplet}/pkcs11/libse05x-pkcs11.so"
    "SX_TEST_SIM=${_pk_root}/usr/bin/se05x-sim"
    "SX_TEST_CLI=${_pk_root}/usr/bin/se05x"
    "SX_TEST_BROKER=${_pk_root}/usr/sbin/se05xd"
    "SX_TEST_EXEC_WRAPPER=${_pk_wrapper}"
    "LD_LIBRARY_PATH=${SX_ARMHF_LIBDIR}"
    "SE05X_SIM_FACTORY_RSA_KEY=${SX_TEST_RSA_KEY_FILE}")

# sx_packaged_suite(NAME TARGET [SHARDS n] [FILTER gtest-filter] [TIMEOUT s]): the gtest
# executable TARGET (run under the emulator, since it is a cross-built target) as
# `packaged.armhf.NAME` — or NAME.0 .. NAME.<n-1>, gtest shards that CTest runs in parallel.
function(sx_packaged_suite name target)
  cmake_parse_arguments(A "" "SHARDS;FILTER;TIMEOUT" "" ${ARGN})
  if(NOT TARGET ${target})
    message(STATUS "packaged_armhf: ${target} is not built here; packaged.armhf.${name} not registered")
    return()
  endif()
  if(NOT A_SHARDS)
    set(A_SHARDS 1)
  endif()
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 600)
  endif()
  set(_args)
  if(A_FILTER)
    set(_args "--gtest_filter=${A_FILTER}")
  endif()
  math(EXPR _last "${A_SHARDS} - 1")
  foreach(i RANGE ${_last})
    if(A_SHARDS EQUAL 1)
      set(_test packaged.armhf.${name})
      set(_shard)
    else()
      set(_test packaged.armhf.${name}.${i})
      set(_shard "GTEST_TOTAL_SHARDS=${A_SHARDS}" "GTEST_SHARD_INDEX=${i}")
    endif()
    set(_env ${_pk_env} ${_shard})
    add_test(NAME ${_test} COMMAND ${target} ${_args})
    set_tests_properties(${_test} PROPERTIES LABELS packaged TIMEOUT ${A_TIMEOUT}
                         FIXTURES_REQUIRED "sx_debs;sx_packaged_root"
                         ENVIRONMENT "${_env}"
                         WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  endforeach()
endfunction()

# The module: its unit tests (no chip) and its integration suite against the packaged simulator.
sx_packaged_suite(pkcs11_unit test_pkcs11_unit)
sx_packaged_suite(pkcs11 test_pkcs11 SHARDS 2)
# The packaged se05x against the packaged simulator (and module, for `doctor`).
# ProgressOnlyOnATerminal starts the build tree's se05x through script(1) (SX_CLI_BINARY);
# left out until it uses cli_command() from cli_harness.h.
sx_packaged_suite(cli test_cli SHARDS 2)
# `se05x info` through the packaged se05xd.
sx_packaged_suite(cli_broker test_cli_broker)
# The broker's acceptance suite on the packaged se05xd, simulator, module and CLI: eight
# client processes, kill -9 of a lock holder, restart, uid refusal, the APDU trace checks.
# Its client programs (broker_test_client, broker_p11_client) are the build tree's armhf
# test helpers, started through the same wrapper.
sx_packaged_suite(broker test_broker_integration)
# The simulator package: the host stack against the packaged se05x-sim over JRCP/TCP
# and JRCP/Unix (EC key generation and import, signatures, binary objects up to 32 KiB,
# 300 objects, full memory, restart). The RSA cases are left out: RSA-2048..4096 key
# generation under the emulator takes 25-40 s each (134 s for the suite instead of ~10 s);
# the packaged module suite signs with RSA on the packaged simulator.
sx_packaged_suite(host_stack test_host_stack FILTER "Transports/HostStack.*/jrcp_*:-*Rsa*")
