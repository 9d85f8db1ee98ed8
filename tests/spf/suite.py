#!/usr/bin/python3
"""tests/spf/suite.py -- SPF conformance cases for tests/spf/run.sh.

    suite.py prepare OUTDIR openspf:FILE.yml... mailauth:FILE.yml...
        Writes one folder per DNS zone under OUTDIR (000, 001, ...):
          zone.yml    the zone for tests/lib/dnsserver.py
          zone.ref    the same zone for tests/spf/libspf2_ref (NAME TYPE HEX)
          cases.json  the test cases that run against that zone
        and prints the folder names, one a line.

    suite.py run DIR --port PORT --signet BIN [--ref BIN] [--dns-timeout MS]
        Runs every case of DIR through `BIN spf` (DNS: 127.0.0.1:PORT) and,
        with --ref, through libspf2_ref; prints one line per case:
          CASE <TAB> ok|FAIL <TAB> ok|FAIL|CRASH|- <TAB> SUITE <TAB> LABEL <TAB> DETAIL
        (signet's verdict, libspf2's, the suite, the case, both results).

Input formats
  openspf: the openspf.org suite (rfc7208-tests.yml; read its SOURCE.md):
    a YAML stream of scenarios {description, tests, zonedata}. Zone data
    is converted as the suite's own runner conventions say:
      - SPF (type 99) entries are served as TXT unless the name lists a
        TXT entry (checkers of RFC 7208 query TXT only; dnsserver.py has
        no type 99 either), and "TXT: NONE" means no TXT record;
      - a bare TIMEOUT item makes every type the name does not list time
        out (dnsserver.py's TIMEOUT; in this suite TIMEOUT always comes
        after the name's records, so "types listed before it" is the same);
      - owner names holding bytes outside 33-126 (spaces) are written
        the way dnslib prints a queried name (\\032), which is the form
        dnsserver.py matches against;
      - TXT text is written as YAML text and served UTF-8 encoded: the
        suite's "\\xEF\\xBB\\xBF" or "\\x80" (meant as raw bytes) reach
        the checker as two-byte UTF-8 sequences. Either way they are
        non-ASCII, which is all those cases test. A NUL ("\\0") is served
        as a NUL byte.
    Each case: helo, host, mailfrom ("" = null sender), result (one or a
    list of acceptable ones), optional explanation ("DEFAULT" = the
    checker's default, run with --default-exp DEFAULT).
  mailauth: Stalwart mail-auth's resources/spf/*.yml (not real YAML, see
    mail-auth/SOURCE.md): read line by line. "domain" is the HELO,
    "sender" the MAIL FROM; mx hosts are published as mx.<ip>.<n>;
    names starting with "_dns_error" answer SERVFAIL; %{r} is
    localdomain.org. A scenario whose test items carry their own
    records (examples.yml) gets one zone per item.

For libspf2 the zone also lists, for every name, the types it does not
have (its in-memory zone would say NXDOMAIN, not "no records"), and
CNAMEs are replaced by a copy of their target's records (the in-memory
zone has no CNAME). A NUL in a TXT record ends libspf2's copy of it.
"""

import ipaddress
import json
import os
import re
import subprocess
import sys

import yaml

TYPES = ("A", "AAAA", "MX", "PTR", "TXT")

# Cases whose expected value we read differently from the suite, with why.
# Explanations compared ignoring case: the suite's runner renders %{i} of
# an IPv6 client with upper-case hex nibbles; RFC 7208 does not say which
# case, and its examples (section 7.4) use lower case, as signet does.
EXP_NOCASE = {
    "v-macro-ip6": "hex case of %{i} for IPv6 is not specified (RFC 7208 7.4 uses lower case)",
}
# mail-auth expectations that contradict RFC 7208 (and the openspf suite);
# signet is held to the RFC's answer.
MAILAUTH_OVERRIDE = {
    ("Exists", "ip6.test.org", "167.1.2.3"):
        ("fail", "RFC 7208 5.7: exists looks up A records only; the name has only "
                 "AAAA (openspf exists-ip6only agrees); mail-auth expects pass"),
    ("Macro expansion 2", "mx.example.org", "2001:db8::cb01"):
        ("fail", "RFC 7208 5.7: exists looks up A records only; the target has only "
                 "AAAA; mail-auth expects pass"),
    ("All test", "test.org", "10.0.0.1"):
        ("permerror", "RFC 7208 4.6: a syntax error anywhere in the record ('ip:' is "
                      "no mechanism) is permerror, even after 'all' (openspf "
                      "detect-errors-anywhere); mail-auth expects fail"),
    ("DNS Lookup Limits", "ok.test.org", "172.168.0.1"):
        ("permerror", "RFC 7208 4.6.4: the third void lookup (t3.org does not exist) "
                      "is permerror (openspf void-over-limit); mail-auth expects softfail"),
    ("IPv6 match", "test.org", "10.1.2.3"):
        ("fail", "RFC 7208 5: an IPv4 client never matches ip6:, not even "
                 "::ffff:10.1.2.3 (openspf cidr6-ip4); mail-auth expects pass"),
}
# mail-auth scenarios that check the HELO identity, not MAIL FROM.
MAILAUTH_HELO = {"HELO identity"}


def fail(msg):
    sys.stderr.write("suite.py: %s\n" % msg)
    sys.exit(2)


def reverse_name(ip):
    return ipaddress.ip_address(ip).reverse_pointer


# ---- openspf ---------------------------------------------------------------

def openspf_zone(zonedata):
    """zonedata -> {name: [(TYPE, value)]} in dnsserver terms."""
    zone = {}
    for name, items in (zonedata or {}).items():
        items = items or []
        has_txt = any(isinstance(i, dict) and "TXT" in i for i in items)
        recs = zone.setdefault(str(name), [])
        for item in items:
            if item == "TIMEOUT":
                recs.append(("TIMEOUT", True))
                continue
            if not isinstance(item, dict) or len(item) != 1:
                fail("%s: odd zone item %r" % (name, item))
            (rtype, value), = item.items()
            if rtype == "SPF":
                if has_txt:
                    continue
                rtype = "TXT"
            if rtype == "TXT" and value == "NONE":
                continue
            recs.append((rtype, value))
    return zone


def load_openspf(path, suite):
    with open(path, "rb") as f:
        docs = list(yaml.safe_load_all(f))
    out = []
    for doc in docs:
        if not doc:
            continue
        cases = []
        for tname, t in (doc.get("tests") or {}).items():
            res = t["result"]
            cases.append({
                "suite": suite, "scenario": doc.get("description", ""),
                "name": tname, "helo": str(t.get("helo", "")),
                "host": str(t["host"]), "mailfrom": str(t.get("mailfrom", "")),
                "results": res if isinstance(res, list) else [res],
                "explanation": t.get("explanation"),
                "receiver": t.get("receiver"),
                "exp_nocase": EXP_NOCASE.get(tname),
            })
        out.append((openspf_zone(doc.get("zonedata")), cases))
    return out


# ---- mail-auth ---------------------------------------------------------------

def mailauth_records(lines):
    """[(TYPE, rest)] -> {name: [(TYPE, value)]}"""
    zone = {}
    for rtype, rest in lines:
        rest = rest.strip()
        name, _, value = rest.partition(" ")
        value = value.strip()
        if rtype in ("spf", "exp"):
            zone.setdefault(name, []).append(("TXT", value))
        elif rtype in ("a", "aaaa"):
            for ip in filter(None, (x.strip() for x in value.split(","))):
                t = "AAAA" if ":" in ip else "A"
                zone.setdefault(name, []).append((t, ip))
        elif rtype == "ptr":
            for host in filter(None, (x.strip() for x in value.split(","))):
                zone.setdefault(reverse_name(name), []).append(("PTR", host))
        elif rtype == "mx":
            for n, ip in enumerate(filter(None, (x.strip() for x in value.split(",")))):
                host = "mx.%s.%d" % (ip, n)
                zone.setdefault(name, []).append(("MX", [n + 1, host]))
                zone.setdefault(host, []).append(("AAAA" if ":" in ip else "A", ip))
        else:
            fail("mail-auth: unknown record type %s" % rtype)
    return zone


def mailauth_docs(path):
    """Split into documents of (name, records, items); items are lists of
    (key, value) in file order."""
    docs, cur = [], None
    mode = None
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for raw in text.split("\n"):
        line = raw.rstrip()
        if line.startswith("#") or not line.strip():
            continue
        if line == "---":
            cur = None
            continue
        if cur is None:
            cur = {"name": "", "records": [], "items": []}
            docs.append(cur)
            mode = None
        if line.startswith("name:"):
            cur["name"] = line[5:].strip()
        elif line == "records:":
            mode = "records"
        elif line == "tests:":
            mode = "tests"
        elif mode == "records":
            m = re.match(r"^\s+(\w+):\s?(.*)$", line)
            if not m:
                fail("%s: bad record line %r" % (path, line))
            cur["records"].append((m.group(1), m.group(2)))
        elif mode == "tests":
            m = re.match(r"^\s+(- )?(\w+):\s?(.*)$", line)
            if not m:
                fail("%s: bad test line %r" % (path, line))
            if m.group(1):
                cur["items"].append([])
            if not cur["items"]:
                fail("%s: test line outside an item %r" % (path, line))
            cur["items"][-1].append((m.group(2), m.group(3).strip()))
    return docs


def add_dns_errors(zone, texts):
    for t in texts:
        for name in re.findall(r"_dns_error[\w.-]*", t):
            zone.setdefault(name.rstrip("."), []).append(("SERVFAIL", True))


def load_mailauth(path, suite):
    out = []
    for doc in mailauth_docs(path):
        base = doc["records"]
        domain = sender = None
        groups = []          # (extra records, cases)
        for item in doc["items"]:
            extra, cases, ip, label = [], [], None, None
            for k, v in item:
                if k == "domain":
                    domain = v
                elif k == "sender":
                    sender = v
                elif k == "name":
                    label = v
                elif k in ("spf", "exp", "a", "aaaa", "ptr", "mx"):
                    extra.append((k, v))
                elif k == "ip":
                    ip = v
                elif k == "expect":
                    want, _, exp = v.partition(" ")
                    note = None
                    ov = MAILAUTH_OVERRIDE.get((doc["name"], domain, ip))
                    if ov and ov[0]:
                        want, note = ov
                    cases.append({
                        "suite": suite,
                        "scenario": "%s: %s" % (os.path.basename(path), doc["name"]),
                        "name": "%s%s %s %s" % (label + ": " if label else "",
                                                domain, sender or "<>", ip),
                        "helo": domain or "", "host": ip, "mailfrom": sender or "",
                        "results": [want], "explanation": exp.strip() or None,
                        "receiver": "localdomain.org", "note": note,
                        "identity": "helo" if doc["name"] in MAILAUTH_HELO else None,
                    })
                else:
                    fail("%s: unknown test key %s" % (path, k))
            if extra or not groups:
                groups.append((extra, cases))
            else:
                groups[-1][1].extend(cases)
        for extra, cases in groups:
            if not cases:
                continue
            recs = [r for r in base if not (r[0] == "spf" and any(
                e[0] == "spf" and e[1].split()[0] == r[1].split()[0] for e in extra))]
            zone = mailauth_records(recs + extra)
            add_dns_errors(zone, [c["helo"] for c in cases] +
                           [c["mailfrom"] for c in cases] + [v for _, v in recs + extra])
            out.append((zone, cases))
    return out


# ---- writing zones -------------------------------------------------------------

def dnsserver_name(name):
    """Owner name as dnsserver.py will look it up: it matches the query's
    name in dnslib's text form, where bytes outside 33-126 (a space, in
    the suite's macro-mania-in-domain case) read as \\DDD."""
    return "".join(chr(b) if 33 <= b <= 126 else "\\%03d" % b
                   for b in str(name).encode("utf-8"))


def dnsserver_zone(zone):
    out = {}
    for name, recs in zone.items():
        items = out.setdefault(dnsserver_name(name), [])
        for rtype, value in recs:
            items.append({rtype: value})
    return out


def txt_bytes(value):
    parts = value if isinstance(value, list) else [value]
    return b"".join(p if isinstance(p, bytes) else str(p).encode("utf-8") for p in parts)


def ref_lines(zone):
    """Lines for libspf2_ref: HEXNAME TYPE [HEXDATA]."""
    lc = {n.lower().rstrip("."): recs for n, recs in zone.items()}

    def resolve(name, hops=0):
        recs = lc.get(name.lower().rstrip("."))
        if recs is None or hops > 8:
            return None
        cn = [v for t, v in recs if t == "CNAME"]
        if cn:
            return resolve(str(cn[0]), hops + 1)
        return recs

    lines = []
    for name, recs in zone.items():
        target = resolve(name)
        hname = name.rstrip(".").encode("utf-8").hex()
        if target is None:
            continue
        types = set()
        timeout = servfail = False
        for rtype, value in target:
            if rtype == "TIMEOUT":
                timeout = True
            elif rtype == "SERVFAIL":
                servfail = True
            elif rtype in TYPES:
                types.add(rtype)
                if rtype == "TXT":
                    data = txt_bytes(value)
                elif rtype == "MX":
                    data = ("%s %s" % (value[0], str(value[1]).rstrip("."))).encode()
                else:
                    data = str(value).rstrip(".").encode()
                lines.append("%s %s %s" % (hname, rtype, data.hex()))
        if servfail:
            lines = [l for l in lines if not l.startswith(hname + " ")]
            lines.append("%s TIMEOUT" % hname)
            continue
        if timeout:
            lines.append("%s TIMEOUT" % hname)
            continue
        for t in TYPES:
            if t not in types:
                lines.append("%s NODATA-%s" % (hname, t))
    return lines


def prepare(outdir, specs):
    n = 0
    for spec in specs:
        kind, _, path = spec.partition(":")
        suite = {"openspf": None, "mailauth": "mail-auth"}.get(kind, "?")
        if suite == "?":
            fail("unknown suite kind %s" % kind)
        if suite is None:
            base = os.path.basename(path)
            suite = base[:-len("-tests.yml")] if base.endswith("-tests.yml") else base[:-4]
        loader = load_openspf if kind == "openspf" else load_mailauth
        for zone, cases in loader(path, suite):
            d = os.path.join(outdir, "%03d" % n)
            os.makedirs(d)
            with open(os.path.join(d, "zone.yml"), "w") as f:
                yaml.safe_dump(dnsserver_zone(zone), f, allow_unicode=False)
            with open(os.path.join(d, "zone.ref"), "w") as f:
                f.write("\n".join(ref_lines(zone)) + "\n")
            with open(os.path.join(d, "cases.json"), "w") as f:
                json.dump(cases, f, indent=1)
            print("%03d" % n)
            n += 1


# ---- running -------------------------------------------------------------------

def run_one(argv, timeout=60):
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "timed out", "", ""
    out = p.stdout.decode("utf-8", "replace").split("\n")
    return (p.returncode, out[0] if out else "", out[1] if len(out) > 1 else "",
            p.stderr.decode("utf-8", "replace"))


SANITIZER = re.compile(r"ERROR: (Address|Leak)Sanitizer|runtime error:|"
                       r"SUMMARY: (Address|Undefined|Leak)")


def judge(case, rc, result, exp, err=""):
    """(ok, text) for one checker's output."""
    if rc is None:
        return False, "timed out"
    if rc < 0:
        return False, "crashed (signal %d)" % -rc
    if SANITIZER.search(err):
        return False, "sanitizer report: %s" % err.strip().split("\n")[0][:200]
    if rc != 0:
        return False, "exit %d" % rc
    if result not in case["results"]:
        return False, result
    want = case.get("explanation")
    if want is not None and result == "fail":
        same = exp == want or (case.get("exp_nocase") and exp.lower() == want.lower())
        if not same:
            return False, "%s, explanation %r, want %r" % (result, exp, want)
    return True, result


def run(d, port, signet, ref, timeout_ms):
    with open(os.path.join(d, "cases.json")) as f:
        cases = json.load(f)
    for c in cases:
        argv = [signet, "spf", "--ip", c["host"], "--helo", c["helo"],
                "--mailfrom", c["mailfrom"], "--dns", "127.0.0.1:%d" % port,
                "--dns-timeout", str(timeout_ms), "--default-exp", "DEFAULT"]
        if c.get("receiver"):
            argv += ["--receiver", c["receiver"]]
        if c.get("identity") == "helo":
            argv += ["--identity", "helo"]
        rc, result, exp, err = run_one(argv)
        ok, text = judge(c, rc, result, exp, err)
        rstat, rtext = "-", "not run"
        if ref:
            mf = "" if c.get("identity") == "helo" else c["mailfrom"]
            rrc, rres, rexp, _ = run_one([ref, os.path.join(d, "zone.ref"), c["host"],
                                          c["helo"], mf], timeout=30)
            rok, rtext = judge(c, rrc, rres, rexp)
            rstat = "CRASH" if rrc is not None and rrc < 0 else "ok" if rok else "FAIL"
        want = "|".join(c["results"])
        if c.get("explanation") is not None:
            want += " %r" % c["explanation"]
        detail = "signet %s; libspf2 %s (want %s)" % (text, rtext, want)
        if c.get("note"):
            detail += " [%s]" % c["note"]
        if c.get("exp_nocase") and ok:
            detail += " [explanation compared ignoring case: %s]" % c["exp_nocase"]
        label = "%s / %s" % (c["scenario"], c["name"])
        print("CASE\t%s\t%s\t%s\t%s\t%s" % ("ok" if ok else "FAIL", rstat, c["suite"],
                                            label.replace("\t", " "), detail.replace("\t", " ")))
        sys.stdout.flush()


def main(argv):
    if len(argv) >= 3 and argv[1] == "prepare":
        prepare(argv[2], argv[3:])
        return 0
    if len(argv) >= 3 and argv[1] == "run":
        d, port, signet, ref, tmo = argv[2], None, None, None, 1000
        rest = argv[3:]
        while rest:
            k = rest.pop(0)
            v = rest.pop(0) if rest else fail("%s needs a value" % k)
            if k == "--port":
                port = int(v)
            elif k == "--signet":
                signet = v
            elif k == "--ref":
                ref = v or None
            elif k == "--dns-timeout":
                tmo = int(v)
            else:
                fail("unknown option %s" % k)
        if port is None or signet is None:
            fail("run needs --port and --signet")
        run(d, port, signet, ref, tmo)
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
