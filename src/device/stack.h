// The device-access stack: every program reaches the chip through these
// layers, bottom to top, one small file each.
//
//   1. link         se05x/connect.h        T=1 over I2C (i2c:, vi2c:) or JRCP (unix:, host:port),
//                                          the JRCP link reconnecting after its server went away
//  1b. PlatformSCP03 device/scp03_channel.h  (scp03 = default-keys | required) directly on the link:
//                                          a SELECT of the applet opens the channel, everything
//                                          else is wrapped; never towards se05xd, which owns it
//                                          (device/scp03_setup.h, docs/scp03.md §9)
//   2. recovery     device/reselect_channel.h  re-SELECT after a chip reset / reconnect / re-open,
//                                          resend when provably safe; counts its replays
//  2b. user session device/user_session.h  (when logged in) the chip-enforced PIN: login =
//                                          CreateSession + VerifySessionUserID, every command
//                                          wrapped, the session re-opened after a replay;
//                                          takes no lock (runs under layer 3's); docs/user-session.md
//   3. chip lock    device/chip_lock.h     lock file (I2C links) + broker LOCK + nesting, counted once
//   4. capabilities device/token_open.h    what the chip can do (token::capabilities_from_version),
//                                          model and serial
//   5. token open   device/token_open.h    one way to open the token, for the module and the CLI
//
// The module (pkcs11/chip.cpp), the CLI (cli/context.cpp) and the demo open
// the chip through open_device(); the broker stacks layer 2 on the link it
// re-opens itself (broker/chip.cpp), with layer 1b under it when configured.
// Layer 2b is stacked by whoever logs in (library sx_device_session).
#pragma once

#include "device/chip_lock.h"
#include "device/reselect_channel.h"
// device/user_session.h (layer 2b) lives in sx_device_session: include it directly.
