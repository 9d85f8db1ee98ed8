#!/usr/bin/python3
"""tests/dmarc/cases.py -- turn the shared DMARC cases into runnable files.

    cases.py CASES.yml OUTDIR

CASES.yml is conformance/dmarc/dmarc-cases.yml (schema at its top). For
each case, OUTDIR/NNN/ gets:

    id          the case id (one line)
    zone.yml    its dns, in the YAML zone form tests/lib/dnsserver.py serves
    args        `signet dmarc` arguments, NUL-terminated each: --from or
                --no-from, --dkim d=DOMAIN:RESULT, --spf DOMAIN:RESULT
    expect.MODE for MODE rfc7489 and rfc9989: "key=value" lines that must
                appear in the output (result, policy, disposition, aligned,
                author, reject-message)

The cases follow RFC 7489 unless they say otherwise; run under RFC 9989
they hold as they are, except that pct= is not part of RFC 9989: there a
pct=0 record gets its full policy (the sampling cases say so below).
Needs python3-yaml: run with Debian's /usr/bin/python3.
"""

import os
import sys

import yaml


def args_for(case):
    args = []
    frm = case.get("from")
    if isinstance(frm, list):
        if not frm:
            args.append("--no-from")
        for v in frm:
            args += ["--from", v]
    else:
        args += ["--from", frm]
    for sig in case.get("dkim") or []:
        args += ["--dkim", "d=%s:%s" % (sig["d"], sig["result"])]
    spf = case.get("spf")
    if spf:
        args += ["--spf", "%s:%s" % (spf["domain"], spf["result"])]
    return args


def expect_for(case, mode):
    e = case["expect"]
    out = ["result=%s" % e["dmarc"]]
    dis = e.get("disposition")
    if mode == "rfc9989" and case["group"] == "sampling" and "pct=0" in str(case["dns"]):
        dis = e["policy"]        # no pct in RFC 9989: the policy as published
    if "policy" in e:
        out.append("policy=%s" % e["policy"])
    if dis is not None:
        out.append("disposition=%s" % dis)
    if "aligned" in e:
        out.append("aligned=%s" % e["aligned"])
    if "author_domain" in e:
        out.append("author=%s" % e["author_domain"])
    out.append("reject-message=%s" % ("yes" if e.get("reject_message") else "no"))
    return out


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: cases.py CASES.yml OUTDIR\n")
        return 2
    with open(sys.argv[1], "rb") as f:
        doc = yaml.safe_load(f)
    seen = set()
    for i, case in enumerate(doc["cases"]):
        if case["id"] in seen:
            sys.stderr.write("duplicate case id %s\n" % case["id"])
            return 1
        seen.add(case["id"])
        d = os.path.join(sys.argv[2], "%03d" % i)
        os.makedirs(d)
        with open(os.path.join(d, "id"), "w") as f:
            f.write(case["id"] + "\n")
        with open(os.path.join(d, "zone.yml"), "w") as f:
            yaml.safe_dump(case.get("dns") or {}, f, allow_unicode=True)
        with open(os.path.join(d, "args"), "wb") as f:
            for a in args_for(case):
                f.write(a.encode("utf-8") + b"\0")
        for mode in ("rfc7489", "rfc9989"):
            with open(os.path.join(d, "expect." + mode), "w") as f:
                f.write("\n".join(expect_for(case, mode)) + "\n")
    print(len(doc["cases"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
