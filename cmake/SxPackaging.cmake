# Debian packages: CPack's DEB generator, one package per install component.
# How to build them, the layout and how to bump the version: docs/packaging.md.
# Included from the top-level CMakeLists.txt before GNUInstallDirs, because it
# chooses CMAKE_INSTALL_LIBDIR.

option(SX_PACKAGING_TESTS "Register the Debian packaging tests (build the .debs, lintian, contents)" OFF)

# ---------------------------------------------------------------------------
# Target architecture, in Debian's words.
# The multiarch triplet names the module directory /usr/lib/<triplet>/pkcs11,
# which src/cli bakes into the CLI the same way (CMAKE_LIBRARY_ARCHITECTURE,
# else the compiler's -print-multiarch).
set(SX_DEB_MULTIARCH "${CMAKE_LIBRARY_ARCHITECTURE}")
if(NOT SX_DEB_MULTIARCH)
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-multiarch
                  OUTPUT_VARIABLE SX_DEB_MULTIARCH OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
endif()
# Architecture: field (amd64, armhf). dpkg-architecture maps the GNU triplet;
# CPack's own default (dpkg --print-architecture) would say amd64 for the cross build.
set(SX_DEB_ARCH "")
if(SX_DEB_MULTIARCH)
  execute_process(COMMAND dpkg-architecture -t ${SX_DEB_MULTIARCH} -qDEB_HOST_ARCH
                  OUTPUT_VARIABLE SX_DEB_ARCH OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
endif()
if(NOT SX_DEB_ARCH AND NOT CMAKE_CROSSCOMPILING)
  execute_process(COMMAND dpkg --print-architecture
                  OUTPUT_VARIABLE SX_DEB_ARCH OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
endif()

# ---------------------------------------------------------------------------
# Install layout. Packages install below /usr (CPACK_PACKAGING_INSTALL_PREFIX).
# GNUInstallDirs picks lib/<triplet> only for native builds with prefix /usr,
# so without this the cross build (and any /usr/local build tree) would put
# the module in /usr/lib/pkcs11. A value given on the command line wins.
if(NOT DEFINED CACHE{CMAKE_INSTALL_LIBDIR} AND SX_DEB_MULTIARCH)
  set(CMAKE_INSTALL_LIBDIR "lib/${SX_DEB_MULTIARCH}" CACHE PATH "Object code libraries (Debian multiarch directory)")
endif()
include(GNUInstallDirs)
if(NOT CMAKE_INSTALL_LIBDIR STREQUAL "lib/${SX_DEB_MULTIARCH}")
  # Trees configured before this file existed have "lib" cached.
  if(SX_PACKAGING_TESTS)
    set(_sx_level WARNING)
  else()
    set(_sx_level STATUS)
  endif()
  message(${_sx_level} "CMAKE_INSTALL_LIBDIR is '${CMAKE_INSTALL_LIBDIR}', not lib/${SX_DEB_MULTIARCH}: Debian "
                       "packages from this tree would not have the fixed layout (docs/packaging.md)")
endif()
# Conffiles and the unit live outside the prefix on Debian (/etc, and /lib before
# the /usr merge of trixie). Absolute, so CPack's /usr prefix does not apply; a
# developer installing into a private prefix can set them relative (etc, lib/systemd/system).
set(SX_INSTALL_SYSCONFDIR "/etc" CACHE PATH "Directory for se05x-pkcs11.conf and se05xd.conf")
set(SX_INSTALL_SYSTEMDUNITDIR "/lib/systemd/system" CACHE PATH "Directory for se05xd.service")
set(SX_INSTALL_UDEVRULESDIR "/lib/udev/rules.d" CACHE PATH "Directory for 60-se05xd.rules")
# Directories install() creates (DEB data.tar entries): 0755 whatever the umask.
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

# Install component -> Debian package. Components are named in src/*/CMakeLists.txt.
set(SX_DEB_COMPONENTS pkcs11 cli broker sim)
set(SX_DEB_PACKAGES se05x-pkcs11 se05x se05xd se05x-sim)

# ---------------------------------------------------------------------------
# Changelog: packaging/changelog (Debian format, native package) is the only
# source; its top entry must carry PROJECT_VERSION. Checked now and again at
# build time (the changelog may be edited without re-running cmake).
set(SX_CHANGELOG_IN ${PROJECT_SOURCE_DIR}/packaging/changelog)
set(SX_CHANGELOG_GZ ${PROJECT_BINARY_DIR}/packaging/changelog.gz)
set(SX_PROJECT_VERSION ${PROJECT_VERSION})
include(${PROJECT_SOURCE_DIR}/packaging/changelog.cmake)
add_custom_command(
  OUTPUT ${SX_CHANGELOG_GZ}
  COMMAND ${CMAKE_COMMAND} -DSX_CHANGELOG_IN=${SX_CHANGELOG_IN} -DSX_CHANGELOG_GZ=${SX_CHANGELOG_GZ}
          -DSX_PROJECT_VERSION=${PROJECT_VERSION} -P ${PROJECT_SOURCE_DIR}/packaging/changelog.cmake
  DEPENDS ${SX_CHANGELOG_IN} ${PROJECT_SOURCE_DIR}/packaging/changelog.cmake
  COMMENT "Checking packaging/changelog against ${PROJECT_VERSION}, compressing it")

foreach(comp pkg IN ZIP_LISTS SX_DEB_COMPONENTS SX_DEB_PACKAGES)
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/copyright ${SX_CHANGELOG_GZ}
          DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${pkg} COMPONENT ${comp})
endforeach()

# Manual pages (packaging/man), compressed like Debian's (gzip -9n).
set(_sx_man_gz)
foreach(page_comp IN ITEMS se05x.1:cli se05xd.8:broker se05x-sim.1:sim se05x-demo.1:sim)
  string(REPLACE ":" ";" _sx_pc ${page_comp})
  list(GET _sx_pc 0 page)
  list(GET _sx_pc 1 comp)
  string(REGEX REPLACE ".*\\." "" section ${page})
  set(_sx_gz ${PROJECT_BINARY_DIR}/packaging/man/${page}.gz)
  add_custom_command(
    OUTPUT ${_sx_gz}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/packaging/man
    COMMAND sh -c "gzip -9n -c '${PROJECT_SOURCE_DIR}/packaging/man/${page}' > '${_sx_gz}'"
    DEPENDS ${PROJECT_SOURCE_DIR}/packaging/man/${page}
    VERBATIM)
  list(APPEND _sx_man_gz ${_sx_gz})
  install(FILES ${_sx_gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section} COMPONENT ${comp})
endforeach()

# Generated files the packages ship. In ALL so that a plain build followed by
# cmake --install or cpack has them; scripts/package.sh builds it explicitly.
add_custom_target(sx_deb_files ALL DEPENDS ${SX_CHANGELOG_GZ} ${_sx_man_gz})

# ---------------------------------------------------------------------------
# CPack DEB configuration (written to CPackConfig.cmake by include(CPack)).
set(SX_DEB_MAINTAINER "se05x-pkcs11 developers <se05x-pkcs11@example.org>" CACHE STRING "Maintainer: field of the packages")
set(SX_DEB_HOMEPAGE "https://example.org/se05x-pkcs11" CACHE STRING "Homepage: field of the packages")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME se05x-pkcs11)
set(CPACK_PACKAGE_VENDOR "se05x-pkcs11 developers")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${SX_DEB_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES TRUE)  # uses CMAKE_STRIP: arm-linux-gnueabihf-strip in the cross build
set(CPACK_COMPONENTS_ALL ${SX_DEB_COMPONENTS})  # never googletest's or other stray components
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # <package>_<version>_<arch>.deb (native: no revision)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${SX_DEB_ARCH})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SX_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${SX_DEB_HOMEPAGE}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SOURCE se05x-pkcs11)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)  # maintainer scripts 0755, the rest 0644

# Depends: from dpkg-shlibdeps. Natively CPack runs it on the staged binaries.
# In the cross build dpkg-shlibdeps cannot resolve armhf libraries: they are not
# installed through dpkg (the sysroot is unpacked, the toolchain's libc belongs
# to libc6-armhf-cross). packaging/cpack-project.cmake instead runs
# dpkg-shlibdeps with the target's real shlibs/symbols files, taken from the
# armhf .debs of the packages providing each needed soname (packaging/cross-shlibdeps.sh).
if(CMAKE_CROSSCOMPILING)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
  set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_SOURCE_DIR}/packaging/cpack-project.cmake)
  set(CPACK_SX_CROSS_ARCH ${SX_DEB_ARCH})
  set(CPACK_SX_SOURCE_DIR ${PROJECT_SOURCE_DIR})
  set(CPACK_SX_BINARY_DIR ${PROJECT_BINARY_DIR})
  # The build-tree ELF files of each component, for cross-shlibdeps.sh.
  file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/packaging/binaries.cmake CONTENT
"set(SX_DEB_BINARIES_PKCS11 \"$<TARGET_FILE:se05x-pkcs11>\")
set(SX_DEB_BINARIES_CLI \"$<TARGET_FILE:se05x>\")
set(SX_DEB_BINARIES_BROKER \"$<TARGET_FILE:se05xd>\")
set(SX_DEB_BINARIES_SIM \"$<TARGET_FILE:se05x-sim>;$<TARGET_FILE:se05x-demo>\")
")
else()
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
endif()

set(CPACK_DEBIAN_PKCS11_PACKAGE_NAME se05x-pkcs11)
set(CPACK_DEBIAN_PKCS11_PACKAGE_SECTION libs)
# CPack 3.25 has no variable for Multi-Arch:, so the field rides on the line of
# another one (CPack writes field values verbatim). tests/packaging checks it is
# there. Multi-Arch: same lets amd64 and armhf modules be co-installed (files
# outside /usr/lib/<triplet> are byte-identical: changelog.gz is gzip -n).
set(CPACK_DEBIAN_PKCS11_PACKAGE_SOURCE "se05x-pkcs11\nMulti-Arch: same")
set(CPACK_DEBIAN_PKCS11_DESCRIPTION "PKCS#11 module for the NXP EdgeLock SE050 secure element
A PKCS#11 2.40 module (libse05x-pkcs11.so) that keeps keys inside an NXP
EdgeLock SE050 secure element, reached over I2C directly or through the
se05xd access broker. It offers EC and RSA key generation, import,
signing and certificate objects, with the token state stored on the chip.

The module is registered with p11-kit, so p11-kit aware programs (GnuTLS,
p11tool, NSS through p11-kit-proxy) find the token without configuration.
Settings live in /etc/se05x-pkcs11.conf.")
set(CPACK_DEBIAN_PKCS11_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/se05x-pkcs11/conffiles)

set(CPACK_DEBIAN_CLI_PACKAGE_NAME se05x)
set(CPACK_DEBIAN_CLI_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_CLI_PACKAGE_RECOMMENDS se05x-pkcs11)
set(CPACK_DEBIAN_CLI_DESCRIPTION "provisioning tool for the NXP EdgeLock SE050 secure element
The se05x command inspects and provisions an NXP EdgeLock SE050: chip
information and health checks, key generation and import, certificate
and object management, token initialisation for the se05x-pkcs11 module,
and configuration snippets for AWS IoT Greengrass.")

set(CPACK_DEBIAN_BROKER_PACKAGE_NAME se05xd)
set(CPACK_DEBIAN_BROKER_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_BROKER_DESCRIPTION "access broker sharing one NXP EdgeLock SE050 between clients
se05xd owns the I2C link to an NXP EdgeLock SE050 and serves it to local
processes and containers over a Unix socket (and optionally JRCP over
TCP), granting the chip to one client transaction at a time with
per-user access control and hold time limits.

It runs as the systemd service se05xd.service, configured in
/etc/se05xd.conf.")
set(CPACK_DEBIAN_BROKER_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/se05xd/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/se05xd/postinst
    ${PROJECT_SOURCE_DIR}/packaging/se05xd/prerm
    ${PROJECT_SOURCE_DIR}/packaging/se05xd/postrm)

set(CPACK_DEBIAN_SIM_PACKAGE_NAME se05x-sim)
set(CPACK_DEBIAN_SIM_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_SIM_DESCRIPTION "software simulator of the NXP EdgeLock SE050 secure element
se05x-sim emulates an NXP EdgeLock SE050 behind the same links as the real
chip (JRCP over TCP or a Unix socket, or a virtual I2C bus), so the PKCS#11
module, the se05x tool and the broker can be developed and tested without
hardware. se05x-demo runs one scripted session against it or a real chip
(key generation, signing, certificate storage).

The simulator is for development only: it offers no protection of keys.")

include(CPack)
