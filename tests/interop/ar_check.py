#!/usr/bin/python3
"""tests/interop/ar_check.py -- read the Authentication-Results a verifying
milter (OpenDKIM) added to a message and report, for every DKIM-Signature
of the message, the dkim= result given for it.

    ar_check.py --authserv-id ID [--label NAME] [--expect-sigs N]
                [--expect-fail] VERIFIED_MESSAGE

VERIFIED_MESSAGE is the message as the milter passed it on (its new
Authentication-Results on top). A signature is matched to a dkim= result by
header.d, header.s and, when given, the header.b prefix. Prints
    NAME: sig 1/2 d=example.com s=rsa a=rsa-sha256 c=relaxed/relaxed: pass
Exit status as verify_dkimpy.py: 0 iff at least one signature and all pass
(N of them with --expect-sigs); --expect-fail: 0 iff none passes.
"""

import argparse
import re
import sys

import authres


def unfold(v):
    return re.sub(r"\r?\n[ \t]", " ", v).strip()


def sig_tags(value):
    tags = {}
    for part in unfold(value).split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            tags[k.strip()] = "".join(v.split())
    return tags


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--authserv-id", required=True)
    ap.add_argument("--label", default="opendkim")
    ap.add_argument("--expect-sigs", type=int)
    ap.add_argument("--expect-fail", action="store_true")
    ap.add_argument("message")
    args = ap.parse_args()
    label = args.label

    with open(args.message, "rb") as f:
        raw = f.read()
    # Headers only; raw field values (no decoding), in order.
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0].decode("utf-8", "replace")
    fields = []
    for line in re.split(r"\r?\n", head):
        if line[:1] in (" ", "\t") and fields:
            fields[-1][1] += "\n" + line
        elif ":" in line:
            name, value = line.split(":", 1)
            fields.append([name.strip(), value])

    sigs = [sig_tags(v) for n, v in fields if n.lower() == "dkim-signature"]
    results = []
    for n, v in fields:
        if n.lower() != "authentication-results":
            continue
        try:
            h = authres.AuthenticationResultsHeader.parse(
                "Authentication-Results: " + unfold(v))
        except Exception as e:  # noqa: BLE001 - report unparsable headers
            print("%s: unparsable Authentication-Results (%s): %s" % (label, e, unfold(v)))
            continue
        if h.authserv_id != args.authserv_id:
            continue
        for r in h.results:
            if r.method != "dkim":
                continue
            props = {p.name: p.value for p in r.properties if p.type == "header"}
            results.append((r.result, r.reason, props))

    if not sigs:
        print("%s: no DKIM-Signature in %s" % (label, args.message))
        return 1
    if not results:
        print("%s: no dkim= result from %s in %s" % (label, args.authserv_id, args.message))
        return 1

    passed = 0
    used = set()
    for i, t in enumerate(sigs):
        desc = "sig %d/%d d=%s s=%s a=%s c=%s" % (
            i + 1, len(sigs), t.get("d", "?"), t.get("s", "?"), t.get("a", "?"),
            t.get("c", "simple/simple"))
        found = None
        for j, (res, reason, props) in enumerate(results):
            if j in used:
                continue
            if props.get("d", "").lower() != t.get("d", "").lower():
                continue
            if props.get("s") is not None and props.get("s") != t.get("s"):
                continue
            b = props.get("b")
            if b and not t.get("b", "").startswith(b):
                continue
            found = j
            break
        if found is None:
            print("%s: %s: no matching dkim= result (results: %s)" % (
                label, desc, "; ".join("dkim=%s %s" % (r, p) for r, _, p in results)))
            continue
        used.add(found)
        res, reason, props = results[found]
        if res == "pass":
            passed += 1
            print("%s: %s: pass" % (label, desc))
        else:
            print("%s: %s: %s%s" % (label, desc, res, " (%s)" % reason if reason else ""))

    if args.expect_fail:
        return 0 if passed == 0 else 1
    if args.expect_sigs is not None and len(sigs) != args.expect_sigs:
        print("%s: expected %d signature(s), found %d" % (label, args.expect_sigs, len(sigs)))
        return 1
    return 0 if passed == len(sigs) else 1


if __name__ == "__main__":
    sys.exit(main())
