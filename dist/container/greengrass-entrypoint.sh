#!/bin/sh
# greengrass-entrypoint.sh — start AWS IoT Greengrass (Java nucleus) in the
# container, with its key in the SE050 (docs/install.md).
#
#   no arguments   first start: check the chip with `se05x doctor`, run the
#                  nucleus installer from $GG_INSTALLER (--start false, no
#                  system service); every start: wait for the chip, then run
#                  the nucleus loader in the foreground.
#   COMMAND ...    run COMMAND instead (e.g. `se05x info`, `bash`).
#
# Until the installer files are in place, or while `se05x doctor` reports a
# problem before the first installation, the container stays up and idle so
# that you can provision the chip with `podman exec -it <container> se05x ...`;
# restart the container afterwards.
#
# Environment:
#   GG_ROOT          Greengrass root (default /greengrass/v2; keep it on a volume)
#   GG_INSTALLER     directory with lib/Greengrass.jar, config.yaml and
#                    aws.greengrass.crypto.Pkcs11Provider.jar (default /greengrass/installer)
#   GG_LABEL         key label for `se05x doctor` (default: every key with a certificate)
#   GG_USER          --component-default-user (default ggc_user:ggc_group)
#   GG_CHIP_WAIT     seconds to wait for the chip/broker at start (default 120)
#   GG_SKIP_DOCTOR   1 = install without the `se05x doctor` check
#   GG_INSTALL_ARGS  extra arguments for the installer
set -eu

GG_ROOT=${GG_ROOT:-/greengrass/v2}
GG_INSTALLER=${GG_INSTALLER:-/greengrass/installer}
GG_LABEL=${GG_LABEL:-}
GG_USER=${GG_USER:-ggc_user:ggc_group}
GG_CHIP_WAIT=${GG_CHIP_WAIT:-120}
GG_SKIP_DOCTOR=${GG_SKIP_DOCTOR:-0}
GG_INSTALL_ARGS=${GG_INSTALL_ARGS:-}

log() { echo "greengrass-entrypoint: $*" >&2; }

if [ $# -gt 0 ]; then
    exec "$@"
fi

# Stay up (for `podman exec`) until stopped; stop promptly on SIGTERM.
idle() {
    log "$1"
    log "the container stays up: provision with 'podman exec -it <container> se05x ...', then restart it"
    trap 'exit 0' TERM INT
    while :; do
        sleep 3600 &
        wait $! || true
    done
}

# The broker may start after us (both containers start at boot): wait until
# the chip answers, so the PKCS#11 provider does not start without a token.
wait_for_chip() {
    waited=0
    while ! se05x info >/dev/null 2>&1; do
        if [ "$waited" -ge "$GG_CHIP_WAIT" ]; then
            log "the SE050 is not reachable at ${SE05X_PORT:-the default connection} after ${GG_CHIP_WAIT}s:"
            se05x info >&2 || true
            return 1
        fi
        [ "$waited" -gt 0 ] || log "waiting for the SE050 (${SE05X_PORT:-default connection}) ..."
        sleep 2
        waited=$((waited + 2))
    done
    return 0
}

loader=$GG_ROOT/alts/current/distro/bin/loader

if [ ! -e "$loader" ]; then
    jar=$GG_INSTALLER/lib/Greengrass.jar
    plugin=$GG_INSTALLER/aws.greengrass.crypto.Pkcs11Provider.jar
    config=$GG_INSTALLER/config.yaml
    missing=""
    for f in "$jar" "$plugin" "$config"; do
        [ -f "$f" ] || missing="$missing $f"
    done
    [ -z "$missing" ] || idle "Greengrass is not installed in $GG_ROOT and the installer files are missing:$missing"
    wait_for_chip || idle "cannot install Greengrass without the SE050 (check the se05xd broker and the /run/se05x mount)"
    if [ "$GG_SKIP_DOCTOR" != 1 ]; then
        # shellcheck disable=SC2086
        if ! se05x doctor ${GG_LABEL:+--label "$GG_LABEL"} >&2; then
            idle "se05x doctor found problems (above); Greengrass would not be able to use the key"
        fi
    fi
    log "installing Greengrass into $GG_ROOT"
    mkdir -p "$GG_ROOT"
    # --provision stays false (the default): provisioning with a key in an HSM
    # is manual. No system service inside a container.
    # shellcheck disable=SC2086
    java -Droot="$GG_ROOT" -Dlog.store=FILE -jar "$jar" \
        --trusted-plugin "$plugin" \
        --init-config "$config" \
        --component-default-user "$GG_USER" \
        --setup-system-service false \
        --start false $GG_INSTALL_ARGS
    [ -e "$loader" ] || { log "the installer did not create $loader; see $GG_ROOT/logs"; exit 1; }
else
    wait_for_chip || log "starting Greengrass anyway; the PKCS#11 module keeps retrying the chip"
fi

chmod +x "$loader"
log "starting Greengrass ($loader); logs in $GG_ROOT/logs"
exec "$loader"
