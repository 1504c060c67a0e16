#!/usr/bin/python3
"""Reads a config.yaml written by `se05x greengrass-config --output DIR` the way a Greengrass
nucleus reads it, and prints the values a check needs as shell assignments (for eval).

  gg-values.py java CONFIG.yaml   -> gg_name gg_library gg_slot gg_pin gg_key_uri gg_cert_uri
                                     gg_key_label gg_cert_label
  gg-values.py lite CONFIG.yaml   -> gg_key_uri gg_cert_uri gg_token gg_key_label gg_cert_label

The file must be exactly ONE YAML document (the nucleus loads one). Java: the URIs are decoded
like the Greengrass PKCS#11 provider plugin does (java.net.URI's scheme-specific part, i.e.
URL-decoded, then split on ';' into name=value pairs); the key URI must say type=private, the
certificate URI type=cert, and both must name the same object. Lite: OpenSSL's pkcs11-provider
resolves the URIs itself; they must name the token (several tokens may be present), carry no PIN
(the PIN lives in the OpenSSL configuration) and the same object. Exit 1 with one line on error.
"""
import shlex
import sys
import urllib.parse

import yaml


def die(msg):
    print("gg-values: " + msg, file=sys.stderr)
    sys.exit(1)


def attributes(uri, what):
    """The Greengrass plugin's parse: scheme 'pkcs11', decoded scheme-specific part split on ';'."""
    if not isinstance(uri, str) or not uri.startswith("pkcs11:"):
        die("%s is not a pkcs11: URI: %r" % (what, uri))
    ssp = urllib.parse.unquote(uri[len("pkcs11:"):])
    attrs = {}
    for part in ssp.split(";"):
        if not part:
            continue
        name, sep, value = part.partition("=")
        if not sep:
            die("%s: attribute without '=': %r" % (what, part))
        if name in attrs:
            die("%s: attribute %s given twice" % (what, name))
        attrs[name] = value
    return attrs


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("java", "lite"):
        die("usage: gg-values.py java|lite CONFIG.yaml")
    nucleus, path = sys.argv[1], sys.argv[2]
    try:
        with open(path, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f)]
    except (OSError, yaml.YAMLError) as e:
        die("%s: %s" % (path, e))
    if len(docs) != 1:
        die("%s: %d YAML documents, the nucleus reads exactly one" % (path, len(docs)))
    doc = docs[0]
    if not isinstance(doc, dict) or not isinstance(doc.get("system"), dict):
        die("%s: no system: mapping" % path)
    system = doc["system"]
    key_uri = system.get("privateKeyPath")
    cert_uri = system.get("certificateFilePath")
    key = attributes(key_uri, "system.privateKeyPath")
    cert = attributes(cert_uri, "system.certificateFilePath")
    if key.get("type") != "private":
        die("system.privateKeyPath has type=%r, want private: %s" % (key.get("type"), key_uri))
    if cert.get("type") != "cert":
        die("system.certificateFilePath has type=%r, want cert: %s" % (cert.get("type"), cert_uri))
    if not key.get("object") or key.get("object") != cert.get("object"):
        die("key and certificate URIs name different objects: %s / %s" % (key_uri, cert_uri))
    out = {"gg_key_uri": key_uri, "gg_cert_uri": cert_uri,
           "gg_key_label": key["object"], "gg_cert_label": cert["object"]}

    if nucleus == "java":
        services = doc.get("services")
        if not isinstance(services, dict):
            die("%s: no services: mapping" % path)
        plugin = services.get("aws.greengrass.crypto.Pkcs11Provider")
        conf = plugin.get("configuration") if isinstance(plugin, dict) else None
        if not isinstance(conf, dict):
            die("%s: no services.aws.greengrass.crypto.Pkcs11Provider.configuration" % path)
        for k in ("name", "library", "slot", "userPin"):
            if k not in conf or conf[k] is None or str(conf[k]) == "":
                die("%s: Pkcs11Provider configuration lacks %s" % (path, k))
        if not str(conf["library"]).startswith("/"):
            die("library is not an absolute path: %r" % conf["library"])
        # The plugin reads slot as a number and userPin as a string.
        if isinstance(conf["slot"], bool) or not isinstance(conf["slot"], int):
            die("slot is not a YAML integer: %r" % conf["slot"])
        out.update({"gg_name": str(conf["name"]), "gg_library": conf["library"],
                    "gg_slot": str(conf["slot"]), "gg_pin": str(conf["userPin"])})
    else:
        for what, attrs, uri in (("privateKeyPath", key, key_uri), ("certificateFilePath", cert, cert_uri)):
            if not attrs.get("token"):
                die("system.%s does not name the token: %s" % (what, uri))
            if "pin-value" in attrs or "pin-source" in attrs:
                die("system.%s carries a PIN (it belongs in the OpenSSL configuration): %s" % (what, uri))
        if key["token"] != cert["token"]:
            die("key and certificate URIs name different tokens")
        out["gg_token"] = key["token"]

    for k, v in out.items():
        print("%s=%s" % (k, shlex.quote(str(v))))


if __name__ == "__main__":
    main()
