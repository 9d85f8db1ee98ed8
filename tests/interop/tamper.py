#!/usr/bin/python3
"""tests/interop/tamper.py -- make a changed copy of a signed message, the
way mail gets changed (or forged) in transit.

    tamper.py KIND SIGNED OUT

KIND:
  body           "TAMPERED " put in front of the body (or a body added)
  subject        the Subject field's value changed (a signed field)
  from2          a second From field added right below the first
  from2top       a second From field added above every other field
  swapto         the first two To fields swapped (same name: order matters)
  swapsubjdate   Subject and Date swapped (different names: order does not)
  addunsigned    an X-Added field (signed by nobody) added on top
  namecase       "Subject:" written "SUBJECT:" (relaxed header canon: same)
  bodyws         trailing blanks added to every body line, blank runs doubled
                 (relaxed body canon: same)
  refold         every DKIM-Signature re-folded at its blanks after ';'
                 (relaxed header canon: same)
Exit 0, or 1 when KIND does not apply to the message (e.g. no To field).
"""

import re
import sys


def split(raw):
    nl = b"\r\n" if b"\r\n" in raw else b"\n"
    sep = nl + nl
    if raw.startswith(nl):
        return nl, [], raw[len(nl):]
    head, _, body = raw.partition(sep)
    fields = []
    for line in head.split(nl):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += nl + line
        else:
            fields.append(line)
    return nl, fields, body


def name(f):
    return f.split(b":", 1)[0].strip().lower()


def main():
    kind, src, dst = sys.argv[1:4]
    with open(src, "rb") as f:
        raw = f.read()
    nl, fields, body = split(raw)

    def idx(n, start=0):
        for i in range(start, len(fields)):
            if name(fields[i]) == n:
                return i
        return -1

    if kind == "body":
        body = b"TAMPERED " + body if body else b"TAMPERED" + nl
    elif kind == "subject":
        i = idx(b"subject")
        if i < 0:
            return 1
        fields[i] = re.sub(rb"^([Ss][Uu][Bb][Jj][Ee][Cc][Tt][ \t]*:)", rb"\1 [changed]", fields[i])
    elif kind in ("from2", "from2top"):
        i = idx(b"from")
        if i < 0:
            return 1
        fields.insert(i + 1 if kind == "from2" else 0, b"From: Mallory <mallory@evil.example>")
    elif kind == "swapto":
        i = idx(b"to")
        j = idx(b"to", i + 1) if i >= 0 else -1
        if j < 0:
            return 1
        fields[i], fields[j] = fields[j], fields[i]
    elif kind == "swapsubjdate":
        i, j = idx(b"subject"), idx(b"date")
        if i < 0 or j < 0:
            return 1
        fields[i], fields[j] = fields[j], fields[i]
    elif kind == "addunsigned":
        fields.insert(0, b"X-Added: by a relay on the way")
    elif kind == "namecase":
        i = idx(b"subject")
        if i < 0:
            return 1
        fields[i] = b"SUBJECT:" + fields[i].split(b":", 1)[1]
    elif kind == "bodyws":
        lines = body.split(nl)
        # keep the final empty element (the body's last line end) as is
        body = nl.join((re.sub(rb"([ \t])", rb"\1\1", ln) + b"  \t") if ln else ln
                       for ln in lines[:-1]) + nl + lines[-1] if len(lines) > 1 else body
    elif kind == "refold":
        n = 0
        for i, f in enumerate(fields):
            if name(f) == b"dkim-signature":
                fields[i] = re.sub(rb";[ \t]+(?=[a-z])", b";" + nl + b"\t  ", f)
                n += 1
        if n == 0:
            return 1
    else:
        sys.stderr.write("tamper: unknown kind %s\n" % kind)
        return 2
    with open(dst, "wb") as f:
        f.write(nl.join(fields) + nl + nl + body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
