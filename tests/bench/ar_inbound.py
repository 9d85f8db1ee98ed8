#!/usr/bin/python3
"""tests/bench/ar_inbound.py -- check the SPF, DKIM and DMARC results that
inbound filters wrote into a message's Authentication-Results fields.

    ar_inbound.py --want ID:METHOD=RESULT[,METHOD=RESULT...] [--want ...]
                  [--one-field] MESSAGE

MESSAGE is the message as the last filter passed it on. Each --want names
an authserv-id and the results that must be among the fields of that id:
"signetd.bench.example:spf=pass,dkim=pass,dmarc=pass". With --one-field,
each authserv-id must have written exactly one field holding all of its
results (signetd writes one A-R per message; OpenDMARC writes its spf and
dmarc results in two). An spf= result counts when it is for the MAIL FROM
identity (smtp.mailfrom), not only the HELO one.

Prints one line per authserv-id: the results found ("ID: spf=pass
smtp.mailfrom=alice@example.com; dkim=pass header.d=example.com; ...").
Exit 0 iff every wanted result is there, 1 otherwise.
Run with /usr/bin/python3 (python3-authres).
"""

import argparse
import re
import sys

import authres


def unfold(v):
    return re.sub(r"\r?\n[ \t]", " ", v).strip()


def header_fields(path):
    """(name, raw value) of the message's header fields, in order."""
    with open(path, "rb") as f:
        raw = f.read()
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0].decode("utf-8", "replace")
    fields = []
    for line in re.split(r"\r?\n", head):
        if line[:1] in (" ", "\t") and fields:
            fields[-1][1] += "\n" + line
        elif ":" in line:
            name, value = line.split(":", 1)
            fields.append([name.strip(), value])
    return fields


def describe(r):
    props = " ".join("%s.%s=%s" % (p.type, p.name, p.value) for p in r.properties)
    return "%s=%s%s" % (r.method, r.result, " " + props if props else "")


def is_mailfrom(r):
    return any(p.type == "smtp" and p.name == "mailfrom" for p in r.properties)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--want", action="append", required=True,
                    help="ID:METHOD=RESULT[,METHOD=RESULT...]")
    ap.add_argument("--one-field", action="store_true")
    ap.add_argument("message")
    args = ap.parse_args()

    wants = {}
    for w in args.want:
        ident, _, spec = w.partition(":")
        pairs = [p.split("=", 1) for p in spec.split(",") if "=" in p]
        wants.setdefault(ident, []).extend(pairs)

    found = {ident: [] for ident in wants}  # id -> list of fields (lists of results)
    for name, value in header_fields(args.message):
        if name.lower() != "authentication-results":
            continue
        try:
            h = authres.AuthenticationResultsHeader.parse(
                "Authentication-Results: " + unfold(value))
        except Exception as e:  # noqa: BLE001 - report, do not stop
            print("unparsable Authentication-Results (%s): %s" % (e, unfold(value)))
            continue
        if h.authserv_id in found:
            found[h.authserv_id].append(list(h.results))

    ok = True
    for ident, pairs in wants.items():
        fields = found[ident]
        results = [r for f in fields for r in f]
        print("%s: %s" % (ident, "; ".join(describe(r) for r in results)
                          if results else "(no Authentication-Results field)"))
        if args.one_field and len(fields) != 1:
            print("%s: %d Authentication-Results fields, want exactly one" % (ident, len(fields)))
            ok = False
        for method, result in pairs:
            hit = [r for r in results if r.method == method and r.result == result and
                   (method != "spf" or is_mailfrom(r))]
            if not hit:
                print("%s: no %s=%s%s" % (ident, method, result,
                                          " for smtp.mailfrom" if method == "spf" else ""))
                ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
