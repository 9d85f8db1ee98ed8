#!/usr/bin/python3
"""tests/interop/sign_dkimpy.py -- sign messages with dkimpy (python3-dkim),
as a peer signer for the inbound verification tests.

    sign_dkimpy.py --key FILE --domain D --selector S
                   [--alg rsa-sha256|ed25519-sha256|rsa-sha1]
                   [--canon HEADER/BODY] [--length] [--headers a:b:c]
                   [--identity I] --out-dir DIR MESSAGE...

Each MESSAGE is written to DIR/<its base name> (DIR is created) with dkimpy's DKIM-Signature
on top (line ends as in the message: CRLF stays CRLF, LF stays LF). The
key: an RSA PEM file, or for ed25519-sha256 an Ed25519 key as a PKCS#8 PEM
file (openssl genpkey) or dkimpy's bare base64 32-byte seed. --length adds
l= (the whole body). Exit 0 iff every message was signed.
"""

import argparse
import base64
import os
import re
import sys

sys.modules.setdefault("dns", None)     # dkimpy: no dnspython needed to sign
sys.modules.setdefault("DNS", None)
import dkim  # noqa: E402


def load_key(path, alg):
    with open(path, "rb") as f:
        data = f.read()
    if not alg.startswith("ed25519"):
        return data
    if b"-----BEGIN" in data:
        # PKCS#8 PrivateKeyInfo for Ed25519: 48 bytes of DER, the 32-byte
        # seed at the end (RFC 8410).
        b64 = b"".join(ln for ln in data.splitlines() if ln and not ln.startswith(b"-----"))
        der = base64.b64decode(b64)
        if len(der) != 48:
            raise ValueError("%s: not a PKCS#8 Ed25519 key" % path)
        return base64.b64encode(der[-32:])
    return data.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True)
    ap.add_argument("--domain", required=True)
    ap.add_argument("--selector", required=True)
    ap.add_argument("--alg", default="rsa-sha256")
    ap.add_argument("--canon", default="relaxed/relaxed")
    ap.add_argument("--length", action="store_true")
    ap.add_argument("--headers")
    ap.add_argument("--identity")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("messages", nargs="+")
    args = ap.parse_args()

    key = load_key(args.key, args.alg)
    hc, _, bc = args.canon.partition("/")
    canon = (hc.encode(), (bc or "simple").encode())
    include = [h.encode() for h in args.headers.split(":")] if args.headers else None
    os.makedirs(args.out_dir, exist_ok=True)
    status = 0
    for path in args.messages:
        with open(path, "rb") as f:
            msg = f.read()
        crlf = b"\r\n" in msg
        # dkimpy signs the message as given; it wants CRLF line ends
        wire = msg if crlf else msg.replace(b"\n", b"\r\n")
        try:
            sig = dkim.sign(wire, args.selector.encode(), args.domain.encode(), key,
                            identity=args.identity.encode() if args.identity else None,
                            canonicalize=canon, signature_algorithm=args.alg.encode(),
                            include_headers=include, length=args.length,
                            linesep=b"\r\n")
        except Exception as e:  # noqa: BLE001 - report and go on
            sys.stderr.write("sign_dkimpy: %s: %s\n" % (path, e))
            status = 1
            continue
        if not crlf:
            sig = re.sub(rb"\r\n", b"\n", sig)
        with open(os.path.join(args.out_dir, os.path.basename(path)), "wb") as f:
            f.write(sig + msg)
    return status


if __name__ == "__main__":
    sys.exit(main())
