#!/usr/bin/python3
"""tests/interop/sigcheck.py -- check the DKIM-Signature fields a signer
added to a message, and that it changed nothing else.

    sigcheck.py --canon relaxed/relaxed --expect rsa-sha256:example.com:rsa
                [--expect ...] [--oversign From] ORIGINAL SIGNED

Checks:
  - SIGNED is ORIGINAL with only DKIM-Signature fields added, all of them on
    top (header fields and body otherwise byte-identical, line ends aside);
  - one signature per --expect A:D:S (same set of a=, d=, s=), v=1, the
    given c= (a missing c= means simple/simple, "X" means X/simple),
    bh= and b= non-empty base64;
  - h= names every --oversign field once more than ORIGINAL has it
    (e.g. From present once -> "from" twice in h=), and each field it names
    that ORIGINAL has several of (To, Received...) at least that often.
Prints "sigcheck: ok" or the problems; exit 0 / 1.
"""

import argparse
import base64
import re
import sys


def split_message(raw):
    raw = raw.replace(b"\r\n", b"\n")
    if raw.startswith(b"\n"):
        head, body = b"", raw[1:]
    elif b"\n\n" in raw:
        head, body = raw.split(b"\n\n", 1)
    else:
        head, body = raw.rstrip(b"\n"), b""
    fields = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b"\n" + line
        elif line:
            fields.append(line)
    return fields, body


def fname(field):
    return field.split(b":", 1)[0].strip().lower().decode("ascii", "replace")


def tags(field):
    value = field.split(b":", 1)[1].decode("utf-8", "replace")
    out = {}
    for part in value.split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = re.sub(r"\s+", "", v)
    return out


def norm_canon(c):
    if not c:
        return "simple/simple"
    return c if "/" in c else c + "/simple"


def is_b64(s):
    if not s:
        return False
    try:
        base64.b64decode(s, validate=True)
        return True
    except ValueError:
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--canon", required=True)
    ap.add_argument("--expect", action="append", required=True, help="ALG:DOMAIN:SELECTOR")
    ap.add_argument("--oversign", action="append", default=[])
    ap.add_argument("original")
    ap.add_argument("signed")
    args = ap.parse_args()

    with open(args.original, "rb") as f:
        ofields, obody = split_message(f.read())
    with open(args.signed, "rb") as f:
        sfields, sbody = split_message(f.read())

    problems = []
    nsig = 0
    while nsig < len(sfields) and fname(sfields[nsig]) == "dkim-signature":
        nsig += 1
    sigs = sfields[:nsig]
    rest = sfields[nsig:]
    odkim = sum(1 for f in ofields if fname(f) == "dkim-signature")
    if sum(1 for f in rest if fname(f) == "dkim-signature") != odkim:
        problems.append("DKIM-Signature added below the top of the header")
    if rest != ofields:
        problems.append("header fields other than DKIM-Signature changed")
    # An MTA ends a message that lacks a final line break with one (miltc
    # and Postfix do): that is not the signer's doing.
    if obody and not obody.endswith(b"\n"):
        obody += b"\n"
    if sbody != obody:
        problems.append("body changed (%d bytes -> %d bytes)" % (len(obody), len(sbody)))

    want = sorted(tuple(e.split(":", 2)) for e in args.expect)
    got = []
    counts = {}
    for f in ofields:
        counts[fname(f)] = counts.get(fname(f), 0) + 1
    for i, f in enumerate(sigs):
        t = tags(f)
        got.append((t.get("a", "?"), t.get("d", "?"), t.get("s", "?")))
        where = "sig %d (a=%s d=%s s=%s)" % (i + 1, t.get("a"), t.get("d"), t.get("s"))
        if t.get("v") != "1":
            problems.append("%s: v=%r" % (where, t.get("v")))
        if norm_canon(t.get("c")) != args.canon:
            problems.append("%s: c=%s, want %s" % (where, t.get("c"), args.canon))
        for k in ("bh", "b"):
            if not is_b64(t.get(k, "")):
                problems.append("%s: %s= missing or not base64" % (where, k))
        h = [x.strip().lower() for x in t.get("h", "").split(":") if x.strip()]
        if not h:
            problems.append("%s: empty h=" % where)
        for name in args.oversign:
            n = name.lower()
            if h.count(n) != counts.get(n, 0) + 1:
                problems.append("%s: h= has %r %d times, want %d (oversigned): h=%s"
                                % (where, n, h.count(n), counts.get(n, 0) + 1, t.get("h")))
        for n in set(h):
            if n in [x.lower() for x in args.oversign]:
                continue
            if h.count(n) < counts.get(n, 0) and h.count(n) > 0:
                problems.append("%s: h= signs %d of %d %r fields: h=%s"
                                % (where, h.count(n), counts[n], n, t.get("h")))
        if "from" not in h:
            problems.append("%s: From not in h=" % where)
    if sorted(got) != want:
        problems.append("signatures (a, d, s) = %s, want %s" % (sorted(got), want))

    if problems:
        for p in problems:
            print("sigcheck: " + p)
        return 1
    print("sigcheck: ok (%d signature(s))" % nsig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
