#!/usr/bin/python3
"""tests/dmarc/cases.py -- turn the shared DMARC cases into runnable files.

    cases.py CASES.yml OUTDIR       (prints "CASES ZONES")

CASES.yml is conformance/dmarc/dmarc-cases.yml (schema at its top). For
each case, OUTDIR/NNN/ gets:

    id          the case id (one line)
    group       which zone (below) to serve it from
    args        `signet dmarc` arguments, NUL-terminated each: --from or
                --no-from, --dkim d=DOMAIN:RESULT, --spf DOMAIN:RESULT
    expect.MODE for MODE rfc7489 and rfc9989: "key=value" lines that must
                appear in the output (result, policy, disposition, aligned,
                author, reject-message)

Cases share DNS servers where that changes nothing they can see:
OUTDIR/zones/G.yml is one server's zone, OUTDIR/NNN/group names it. A
case may query _dmarc.S and S (A, AAAA, MX) for every suffix S of every
domain in its inputs; it joins a group only when the group's zone and its
own agree on all those names (both absent, or the same records), and when
it adds nothing that an earlier member of the group must not see. This
turns 58 server starts into a few.

The cases follow RFC 7489 unless they say otherwise; run under RFC 9989
they hold as they are, except that pct= is not part of RFC 9989: there a
pct=0 record gets its full policy (the sampling cases say so below).
Needs python3-yaml: run with Debian's /usr/bin/python3.
"""

import os
import re
import sys

import yaml

DOMAIN_RE = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+")


def norm(name):
    name = str(name).strip().lower()
    return name[:-1] if name.endswith(".") else name


def visible_names(case):
    """Every owner name the case's evaluation could look up."""
    texts = []
    frm = case.get("from")
    texts += frm if isinstance(frm, list) else [frm]
    texts += [s["d"] for s in case.get("dkim") or []]
    if case.get("spf"):
        texts.append(case["spf"]["domain"])
    names = set()
    for t in texts:
        for d in DOMAIN_RE.findall(str(t)):
            labels = norm(d).split(".")
            for i in range(len(labels)):
                suffix = ".".join(labels[i:])
                names.add(suffix)
                names.add("_dmarc." + suffix)
    return names


class Group:
    def __init__(self):
        self.zone = {}
        self.hidden = set()     # names some member needs absent

    def fits(self, zone, names):
        for n in names:
            if self.zone.get(n) != zone.get(n):
                return False
        return not any(n in self.hidden for n in zone)

    def add(self, zone, names):
        self.zone.update(zone)
        self.hidden |= {n for n in names if n not in zone}


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
    groups = []
    for i, case in enumerate(doc["cases"]):
        if case["id"] in seen:
            sys.stderr.write("duplicate case id %s\n" % case["id"])
            return 1
        seen.add(case["id"])
        d = os.path.join(sys.argv[2], "%03d" % i)
        os.makedirs(d)
        with open(os.path.join(d, "id"), "w") as f:
            f.write(case["id"] + "\n")
        zone = {norm(k): v for k, v in (case.get("dns") or {}).items()}
        names = visible_names(case) | set(zone)
        g = next((g for g in groups if g.fits(zone, names)), None)
        if g is None:
            g = Group()
            groups.append(g)
        g.add(zone, names)
        with open(os.path.join(d, "group"), "w") as f:
            f.write("%d\n" % groups.index(g))
        with open(os.path.join(d, "args"), "wb") as f:
            for a in args_for(case):
                f.write(a.encode("utf-8") + b"\0")
        for mode in ("rfc7489", "rfc9989"):
            with open(os.path.join(d, "expect." + mode), "w") as f:
                f.write("\n".join(expect_for(case, mode)) + "\n")
    os.makedirs(os.path.join(sys.argv[2], "zones"))
    for k, g in enumerate(groups):
        with open(os.path.join(sys.argv[2], "zones", "%d.yml" % k), "w") as f:
            yaml.safe_dump(g.zone, f, allow_unicode=True)
    print("%d %d" % (len(doc["cases"]), len(groups)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
