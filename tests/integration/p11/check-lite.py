#!/usr/bin/python3
"""Greengrass nucleus lite's path to the key: OpenSSL 3 + pkcs11-provider, configured ONLY by the
files `se05x greengrass-config --nucleus lite --output DIR` wrote, used unmodified.

  check-lite.py [--expect-refused] DIR CA.pem PORT

Reads DIR/config.yaml (one YAML document) for system.privateKeyPath / certificateFilePath (the
pkcs11: URIs nucleus lite hands to OSSL_STORE), then for TLS 1.3 and TLS 1.2 runs

  OPENSSL_CONF=DIR/openssl-se05x.cnf openssl s_client -key <key URI> -cert <cert URI> ...

against the MQTT broker on 127.0.0.1:PORT (which requires a client certificate), sends an MQTT
3.1.1 CONNECT and requires a CONNACK with return code 0. The environment is passed through
otherwise (a test may point the module at a private broker socket with SE05X_BROKER_SOCKET).

--expect-refused: the caller must NOT reach the key (e.g. not in the se05xd group): succeed only
if no CONNACK arrives and openssl reports an error; print its first lines.
Exit 0 = as expected, 1 = not.
"""
import os
import select
import subprocess
import sys
import time

import yaml

CONNECT = bytes([0x10, 0x18, 0x00, 0x04]) + b"MQTT" + bytes([0x04, 0x02, 0x00, 0x3C, 0x00, 0x0C]) + b"sx-lite-chk1"
CONNACK_OK = bytes([0x20, 0x02, 0x00, 0x00])
DISCONNECT = bytes([0xE0, 0x00])


def say(msg):
    print("[lite] " + msg, flush=True)


def read_uris(directory):
    with open(os.path.join(directory, "config.yaml"), encoding="utf-8") as f:
        docs = list(yaml.safe_load_all(f))
    if len(docs) != 1:
        raise SystemExit("[lite] config.yaml holds %d YAML documents, want 1" % len(docs))
    system = docs[0]["system"]
    return system["privateKeyPath"], system["certificateFilePath"]


def one_connect(directory, ca, port, key, cert, proto, timeout=60.0):
    """Returns (connack bytes or None, stderr text)."""
    env = dict(os.environ)
    env["OPENSSL_CONF"] = os.path.join(os.path.abspath(directory), "openssl-se05x.cnf")
    cmd = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, proto, "-brief",
           "-CAfile", ca, "-verify_return_error", "-verify_ip", "127.0.0.1",
           "-key", key, "-cert", cert]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    got = b""
    try:
        p.stdin.write(CONNECT)
        p.stdin.flush()
        deadline = time.monotonic() + timeout
        while len(got) < 4 and time.monotonic() < deadline:
            r, _, _ = select.select([p.stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not r:
                break
            chunk = os.read(p.stdout.fileno(), 4 - len(got))
            if not chunk:
                break
            got += chunk
        if len(got) == 4:
            try:
                p.stdin.write(DISCONNECT)
                p.stdin.close()
            except BrokenPipeError:
                pass
    except BrokenPipeError:
        pass
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    err = p.stderr.read().decode("utf-8", "replace")
    return (got if len(got) == 4 else None), err


def main():
    args = sys.argv[1:]
    refused = False
    if args and args[0] == "--expect-refused":
        refused, args = True, args[1:]
    if len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    directory, ca, port = args[0], args[1], int(args[2])
    key, cert = read_uris(directory)
    say("uid %d gid %d groups %s; OPENSSL_CONF=%s" % (os.getuid(), os.getgid(), sorted(os.getgroups()),
                                                     os.path.join(os.path.abspath(directory), "openssl-se05x.cnf")))
    say("-key %s -cert %s" % (key, cert))
    ok = True
    for proto in ("-tls1_3", "-tls1_2"):
        connack, err = one_connect(directory, ca, port, key, cert, proto)
        lines = [l for l in err.splitlines() if l.strip()]
        if refused:
            if connack is not None:
                say("%s: FAILED: got a CONNACK %s although access should be refused" % (proto, connack.hex()))
                ok = False
            elif not lines:
                say("%s: FAILED: no CONNACK but no error message either" % proto)
                ok = False
            else:
                say("%s: refused as expected; openssl said:" % proto)
                for l in lines[:6]:
                    print("    " + l)
            continue
        summary = [l for l in lines if l.startswith(("Protocol version", "Ciphersuite", "Peer signature type",
                                                      "Verification"))]
        if connack == CONNACK_OK:
            say("%s: CONNACK 20 02 00 00 (accepted); %s" % (proto, "; ".join(summary)))
        else:
            say("%s: FAILED: %s" % (proto, "CONNACK " + connack.hex() if connack else "no CONNACK"))
            for l in lines[-25:]:
                print("    " + l)
            ok = False
    say("RESULT: " + ("OK" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
