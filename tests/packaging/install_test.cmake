# Included by tests/packaging/CMakeLists.txt (SX_PACKAGING_TESTS=ON).
# packaging.install.amd64: the amd64 packages installed into a fresh debootstrap'ed Debian 12 root
# (through dist/container/install-packages.sh), then the Greengrass Java (SunPKCS11) and awscrt
# checks of scripts/greengrass-flow.sh against the packaged se05x-sim behind the packaged se05xd,
# using only installed product files. Needs root and network access to the Debian archive
# (deb.debian.org); exits 77 (skipped) when not root or debootstrap/unshare are missing.
# About 1.5-2 minutes on 2 cores (debootstrap ~35 s, apt ~35 s, flows ~8 s per key type).
if(NOT CMAKE_CROSSCOMPILING AND (NOT DEFINED SX_DEB_ARCH OR SX_DEB_ARCH STREQUAL "amd64"))
  if(DEFINED SX_PACKAGES_DIR)
    set(_sx_install_debs ${SX_PACKAGES_DIR})
  else()
    set(_sx_install_debs ${CMAKE_BINARY_DIR}/packages)
  endif()
  add_test(NAME packaging.install.amd64
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/install-test.sh ${_sx_install_debs})
  set_tests_properties(packaging.install.amd64 PROPERTIES
    LABELS "packaging;integration"
    FIXTURES_REQUIRED sx_debs
    TIMEOUT 900
    SKIP_RETURN_CODE 77)
  unset(_sx_install_debs)
endif()
