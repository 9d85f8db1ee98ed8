#!/usr/bin/python3
"""tests/interop/verify_dkimpy.py -- verify every DKIM-Signature of a message
with dkimpy (python3-dkim), fetching keys over real DNS from the test DNS
server on loopback (tests/lib/dnsserver.py).

    verify_dkimpy.py [--port PORT] [--server ADDR] [--expect-sigs N]
                     [--expect-fail] [--debug] MESSAGE

PORT defaults to $DNS_PORT, ADDR to 127.0.0.1. One line per signature:
    dkimpy: sig 1/2 d=example.com s=rsa a=rsa-sha256 c=relaxed/relaxed: pass
Exit 0 when there is at least one signature and every one passes (and there
are N of them, with --expect-sigs); with --expect-fail, exit 0 when there is
at least one signature and none passes. Exit 1 otherwise, 2 on usage errors.
"""

import argparse
import logging
import os
import sys

# dkimpy's own resolver (dnspython) is not wanted: keys must come from our
# server through dnsfunc below. Hiding dnspython also makes any lookup that
# bypassed dnsfunc fail loudly, and saves ~0.4 s of imports per run.
sys.modules.setdefault("dns", None)
sys.modules.setdefault("DNS", None)

import dkim  # noqa: E402
from dnslib import QTYPE, RCODE, DNSRecord

QUERIES = []


def make_dnsfunc(server, port):
    def dnsfunc(name, timeout=5):
        qname = name.decode("ascii", "replace") if isinstance(name, bytes) else name
        q = DNSRecord.question(qname, "TXT")
        wire = q.send(server, port, tcp=False, timeout=timeout)
        reply = DNSRecord.parse(wire)
        via = "udp"
        if reply.header.tc:
            wire = q.send(server, port, tcp=True, timeout=timeout)
            reply = DNSRecord.parse(wire)
            via = "tcp"
        QUERIES.append((qname, RCODE.get(reply.header.rcode), via))
        if reply.header.rcode == RCODE.SERVFAIL:
            raise dkim.DnsTimeoutError("SERVFAIL for %s" % qname)
        for rr in reply.rr:
            if rr.rtype == QTYPE.TXT:
                return b"".join(rr.rdata.data)
        return None
    return dnsfunc


def sig_tags(value):
    tags = {}
    for part in value.decode("utf-8", "replace").split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            tags[k.strip()] = "".join(v.split())
    return tags


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=int(os.environ.get("DNS_PORT", "0") or 0))
    ap.add_argument("--server", default="127.0.0.1")
    ap.add_argument("--expect-sigs", type=int, default=None)
    ap.add_argument("--expect-fail", action="store_true")
    ap.add_argument("--debug", action="store_true")
    ap.add_argument("message")
    args = ap.parse_args()
    if not args.port:
        sys.stderr.write("verify_dkimpy: no DNS port (--port or $DNS_PORT)\n")
        return 2

    with open(args.message, "rb") as f:
        msg = f.read()

    logger = logging.getLogger("dkimpy")
    logger.addHandler(logging.StreamHandler(sys.stderr))
    logger.setLevel(logging.DEBUG if args.debug else logging.CRITICAL)

    d = dkim.DKIM(msg, logger=logger)
    sigs = [v for (k, v) in d.headers if k.lower() == b"dkim-signature"]
    if not sigs:
        print("dkimpy: no DKIM-Signature in %s" % args.message)
        return 1

    dnsfunc = make_dnsfunc(args.server, args.port)
    passed = 0
    for i, value in enumerate(sigs):
        t = sig_tags(value)
        desc = "sig %d/%d d=%s s=%s a=%s c=%s" % (
            i + 1, len(sigs), t.get("d", "?"), t.get("s", "?"), t.get("a", "?"),
            t.get("c", "simple/simple"))
        nq = len(QUERIES)
        try:
            # a fresh parse per signature: verify() keeps state
            res = dkim.DKIM(msg, logger=logger).verify(idx=i, dnsfunc=dnsfunc)
            why = ""
        except dkim.DKIMException as e:
            res = False
            why = " (%s)" % e
        dns = ", ".join("%s %s/%s" % q for q in QUERIES[nq:]) or "no DNS query"
        if res:
            passed += 1
            print("dkimpy: %s: pass [%s]" % (desc, dns))
        else:
            print("dkimpy: %s: fail%s [%s]" % (desc, why, dns))

    if args.expect_fail:
        return 0 if passed == 0 else 1
    if args.expect_sigs is not None and len(sigs) != args.expect_sigs:
        print("dkimpy: expected %d signature(s), found %d" % (args.expect_sigs, len(sigs)))
        return 1
    return 0 if passed == len(sigs) else 1


if __name__ == "__main__":
    sys.exit(main())
