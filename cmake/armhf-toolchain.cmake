# Cross build for the Armadillo-IoT A6E (32-bit ARMv7, Debian armhf).
# OpenSSL for armhf comes from a sysroot unpacked from Debian's armhf .debs by
# scripts/armhf-sysroot.sh (no multiarch install needed, so the host's OpenSSL
# version does not have to match the armhf one).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_CXX_COMPILER arm-linux-gnueabihf-g++)
if(NOT SX_ARMHF_SYSROOT)
  set(SX_ARMHF_SYSROOT "${CMAKE_CURRENT_LIST_DIR}/../build/armhf-sysroot")
endif()
set(SX_ARMHF_LIBDIR "${SX_ARMHF_SYSROOT}/usr/lib/arm-linux-gnueabihf")
set(OPENSSL_ROOT_DIR "${SX_ARMHF_SYSROOT}/usr")
set(OPENSSL_INCLUDE_DIR "${SX_ARMHF_SYSROOT}/usr/include")
set(OPENSSL_CRYPTO_LIBRARY "${SX_ARMHF_LIBDIR}/libcrypto.so")
set(OPENSSL_SSL_LIBRARY "${SX_ARMHF_LIBDIR}/libssl.so")
# Debian splits opensslconf.h into the multiarch include directory.
include_directories(SYSTEM "${SX_ARMHF_SYSROOT}/usr/include/arm-linux-gnueabihf")
set(CMAKE_FIND_ROOT_PATH /usr/arm-linux-gnueabihf "${SX_ARMHF_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_BUILD_RPATH "${SX_ARMHF_LIBDIR}")
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm -L /usr/arm-linux-gnueabihf)
