#!/usr/bin/python3
"""AWS CRT PKCS#11 path (what Greengrass's MQTT connection uses), via Debian's python3-awscrt.

Greengrass builds its MQTT connection with aws-crt-java's TlsContextPkcs11Options
(slot id + user PIN + private-key *label* + certificate PEM exported from the token).
aws-crt-python 0.16.8 exposes the same aws-c-io code: Pkcs11Lib + create_client_with_mtls_pkcs11.
This connects to the local mosquitto, subscribes, publishes, receives its own message and
disconnects. Exit code 0 only if all of that worked within the time limits.

--preinit first initialises the module and logs in through PyKCS11 in the same process, so the
CRT sees CKR_CRYPTOKI_ALREADY_INITIALIZED (and an existing login), as inside the Greengrass JVM
where the CRT and SunPKCS11 share the module.
"""

import argparse
import os
import sys
import threading
import time

STEP_TIMEOUT_S = 20.0


def step(msg):
    print("[awscrt] " + msg, flush=True)


def preinit_with_pykcs11(library, slot, pin):
    import PyKCS11  # Debian python3-pykcs11

    lib = PyKCS11.PyKCS11Lib()
    lib.load(library)  # C_GetFunctionList + C_Initialize
    session = lib.openSession(slot, PyKCS11.CKF_SERIAL_SESSION)
    session.login(pin)
    step("PyKCS11 pre-initialised the module and logged in on slot %d (RO session kept open)" % slot)
    return lib, session  # keep references alive for the whole run


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--library", required=True)
    ap.add_argument("--slot", type=int, required=True)
    ap.add_argument("--pin", required=True)
    ap.add_argument("--label", required=True, help="CKA_LABEL of the private key")
    ap.add_argument("--cert", required=True, help="PEM certificate (exported from the token)")
    ap.add_argument("--ca", required=True, help="PEM root CA file")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--preinit", action="store_true", help="C_Initialize+C_Login via PyKCS11 first")
    ap.add_argument("--log", help="write the CRT's trace log (shows every PKCS#11 call) here")
    args = ap.parse_args()

    from awscrt import io, mqtt
    import awscrt

    step("awscrt %s from %s" % (getattr(awscrt, "__version__", "?"), os.path.dirname(awscrt.__file__)))
    if args.log:
        io.init_logging(io.LogLevel.Trace, args.log)

    keep = preinit_with_pykcs11(args.library, args.slot, args.pin) if args.preinit else None

    lib = io.Pkcs11Lib(file=args.library, behavior=io.Pkcs11Lib.InitializeFinalizeBehavior.DEFAULT)
    step("Pkcs11Lib loaded (DEFAULT: C_Initialize with OS locking + mutex callbacks)")

    with open(args.cert, "rb") as f:
        cert_pem = f.read()
    opts = io.TlsContextOptions.create_client_with_mtls_pkcs11(
        pkcs11_lib=lib,
        user_pin=args.pin,
        slot_id=args.slot,
        private_key_label=args.label,
        cert_file_contents=cert_pem,
    )
    opts.override_default_trust_store_from_path(None, args.ca)
    tls_ctx = io.ClientTlsContext(opts)
    step("TLS context created (C_OpenSession RO, C_Login, C_FindObjects{CKO_PRIVATE_KEY, label})")

    elg = io.EventLoopGroup(1)
    resolver = io.DefaultHostResolver(elg)
    bootstrap = io.ClientBootstrap(elg, resolver)
    client = mqtt.Client(bootstrap, tls_ctx)
    client_id = "sxp11-awscrt-%d" % os.getpid()
    conn = mqtt.Connection(
        client=client,
        host_name=args.host,
        port=args.port,
        client_id=client_id,
        clean_session=True,
        keep_alive_secs=30,
        ping_timeout_ms=3000,
        protocol_operation_timeout_ms=int(STEP_TIMEOUT_S * 1000),
        reconnect_min_timeout_secs=1,
        reconnect_max_timeout_secs=2,
    )

    t0 = time.monotonic()
    result = conn.connect().result(STEP_TIMEOUT_S)
    step("MQTT connected in %.2fs: %s" % (time.monotonic() - t0, result))

    topic = "sxp11/awscrt/%d" % os.getpid()
    payload = b"hello from the token key %d" % os.getpid()
    got = threading.Event()
    received = {}

    def on_message(topic, payload, **kwargs):
        received["topic"] = topic
        received["payload"] = payload
        got.set()

    sub_future, _ = conn.subscribe(topic, mqtt.QoS.AT_LEAST_ONCE, on_message)
    suback = sub_future.result(STEP_TIMEOUT_S)
    step("subscribed to %s: %s" % (topic, suback))
    if suback.get("qos") is None:
        raise RuntimeError("subscription rejected by the broker")

    pub_future, _ = conn.publish(topic, payload, mqtt.QoS.AT_LEAST_ONCE)
    pub_future.result(STEP_TIMEOUT_S)
    step("published %d bytes" % len(payload))

    if not got.wait(STEP_TIMEOUT_S):
        raise RuntimeError("own message not received within %.0fs" % STEP_TIMEOUT_S)
    if received.get("payload") != payload:
        raise RuntimeError("received payload differs: %r" % received.get("payload"))
    step("received own message on %s" % received["topic"])

    conn.disconnect().result(STEP_TIMEOUT_S)
    step("disconnected")
    del keep
    return 0


if __name__ == "__main__":
    try:
        rc = main()
        step("RESULT: OK")
    except Exception as e:  # report every failure the same way; exit non-zero
        step("RESULT: FAILED: %s: %s" % (type(e).__name__, e))
        rc = 1
    sys.stdout.flush()
    # The CRT's native threads can keep the interpreter alive; the verdict is already printed.
    os._exit(rc)
