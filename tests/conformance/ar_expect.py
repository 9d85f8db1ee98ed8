#!/usr/bin/python3
"""tests/conformance/ar_expect.py -- check the Authentication-Results that
signet produced for a message against what a test expects, one dkim=
result per DKIM-Signature of the message, in message order (top first).

The field is parsed with python3-authres (an RFC 8601 parser that is not
ours). authres drops comments, so the reason comment right after each
"dkim=RESULT" is read by a small scanner here, and the two parses must
agree on the number and order of results.

    ar_expect.py [--authserv-id ID] [--label NAME] SOURCE [--sigs-from MSG]
                 [--all SPEC | --last SPEC [--others SPEC] | SPEC...]

SOURCE is one of
  --ar-file FILE     stdout of `signet verify`: exactly one line, the field
                     value ("ID; dkim=... ; dkim=...")
  --in-message FILE  a message as signetd passed it on: exactly one
                     Authentication-Results field claiming ID (ignoring
                     case and a trailing dot), and with --top it must be
                     the first header field; its DKIM-Signatures are the
                     signatures unless --sigs-from says otherwise
--sigs-from MSG: the message whose DKIM-Signature fields are numbered (for
--ar-file it is required). --original MSG (with --in-message): apart from
our field the message must be MSG unchanged (header fields and body, line
ends aside).

SPEC, one per signature (or "none" alone for an unsigned message):
  RESULT             pass fail neutral policy temperror permerror none
  A|B                either
  !RESULT            anything else (e.g. !pass)
  any                anything
  RESULT=REASON      and the reason comment is exactly REASON
  RESULT~TEXT        and the reason comment contains TEXT (case-insensitive)
--all SPEC: every signature; --last SPEC: the bottom one, --others the
rest (default any); --sel SELECTOR=SPEC (repeatable): the signature(s)
with that s= (overrides the others). --expect-n N: the message must have
N signatures.

Besides the results it checks: the authserv-id; the method is dkim (or
spf, at most twice, and dmarc, at most once: not checked here); one
result per signature (dkim=none alone iff there is none); header.d,
header.s, header.a equal to the signature's d=, s=, a= when both exist
(d= case-insensitive), header.b a prefix of b= of at least 8 characters;
a pass carries header.d and header.b.
Prints one line per signature and a summary line "= dkim=...; dkim=..."
(results with their reason comments); exit 0 iff everything matched, 1 if
not, 2 on usage errors.
"""

import argparse
import re
import sys

import authres

RESULTS = ("pass", "fail", "neutral", "policy", "temperror", "permerror", "none")


def split_message(raw):
    """(header fields as (name, raw value with folds), body)."""
    if raw.startswith(b"\r\n") or raw.startswith(b"\n"):
        head, body = b"", raw.split(b"\n", 1)[1]
    else:
        m = re.search(rb"\r?\n\r?\n", raw)
        if m:
            head, body = raw[:m.start()], raw[m.end():]
        else:
            head, body = raw, b""
    fields = []
    for line in re.split(rb"\r?\n", head):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1][1] += b"\r\n" + line
        elif b":" in line:
            name, value = line.split(b":", 1)
            fields.append([name.decode("latin-1"), value])
        elif line:
            fields.append([line.decode("latin-1"), None])   # no colon
    return fields, body


def unfold(v):
    return re.sub(r"\r?\n[ \t]", " ", v).strip()


def sig_tags(value):
    tags = {}
    for part in unfold(value).split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            k = k.strip()
            if k and k not in tags:
                tags[k] = "".join(v.split())
    return tags


def dkim_signatures(raw):
    fields, _ = split_message(raw)
    return [sig_tags(v.decode("latin-1")) for n, v in fields
            if v is not None and n.strip().lower() == "dkim-signature"]


def scan_results(value):
    """Split a field value at top-level ';' (outside comments and quoted
    strings); for each resinfo return (method, result, first comment after
    the result or None). The first element is the authserv-id part."""
    parts, cur, depth, quoted, i = [], [], 0, False, 0
    comments = []          # per part: list of (position in part, comment text)
    cur_comments = []
    ctext = None
    while i < len(value):
        c = value[i]
        if quoted:
            cur.append(c)
            if c == "\\" and i + 1 < len(value):
                cur.append(value[i + 1])
                i += 1
            elif c == '"':
                quoted = False
        elif depth > 0:
            if c == "\\" and i + 1 < len(value):
                ctext.append(value[i + 1])
                i += 1
            elif c == "(":
                depth += 1
                ctext.append(c)
            elif c == ")":
                depth -= 1
                if depth == 0:
                    cur_comments.append((len("".join(cur)), "".join(ctext)))
                    cur.append(" ")
                else:
                    ctext.append(c)
            else:
                ctext.append(c)
        elif c == "(":
            depth, ctext = 1, []
        elif c == '"':
            quoted = True
            cur.append(c)
        elif c == ";":
            parts.append("".join(cur))
            comments.append(cur_comments)
            cur, cur_comments = [], []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    comments.append(cur_comments)
    out = []
    for text, cmts in zip(parts[1:], comments[1:]):
        m = re.match(r"\s*([A-Za-z0-9_-]+)\s*(?:/\s*[0-9]+\s*)?=\s*([A-Za-z0-9_-]+)", text)
        if not m:
            out.append((None, None, None))
            continue
        end = m.end()
        reason = None
        for pos, ctext_ in cmts:
            # the comment right after the result: nothing but blanks between
            if pos >= end and not text[end:pos].strip():
                reason = ctext_.strip()
                break
        out.append((m.group(1).lower(), m.group(2).lower(), reason))
    return out


def spec_ok(spec, result, reason):
    """Does (result, reason) satisfy spec? Returns (bool, why-not)."""
    if spec == "any":
        return True, ""
    want_reason, mode = None, None
    m = re.match(r"^([!a-z|]+)([=~])(.*)$", spec)
    if m:
        spec, mode, want_reason = m.group(1), m.group(2), m.group(3)
    neg = spec.startswith("!")
    alts = spec.lstrip("!").split("|")
    for a in alts:
        if a not in RESULTS:
            raise ValueError("unknown result %r in spec" % a)
    hit = result in alts
    if neg:
        hit = not hit
    if not hit:
        return False, "result"
    if mode == "=" and (reason or "") != want_reason:
        return False, "reason (want exactly %r)" % want_reason
    if mode == "~" and want_reason.lower() not in (reason or "").lower():
        return False, "reason (want it to contain %r)" % want_reason
    return True, ""


def strip_dot(s):
    s = s.lower()
    return s[:-1] if s.endswith(".") else s


def main():
    ap = argparse.ArgumentParser(add_help=True)
    ap.add_argument("--authserv-id")
    ap.add_argument("--label", default="ar")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--ar-file")
    src.add_argument("--in-message")
    ap.add_argument("--top", action="store_true")
    ap.add_argument("--sigs-from")
    ap.add_argument("--original")
    ap.add_argument("--all")
    ap.add_argument("--last")
    ap.add_argument("--others", default="any")
    ap.add_argument("--expect-n", type=int)
    ap.add_argument("--sel", action="append", default=[])
    ap.add_argument("spec", nargs="*")
    args = ap.parse_args()
    label = args.label
    problems = []

    # --- the field value -------------------------------------------------
    if args.ar_file:
        with open(args.ar_file, "rb") as f:
            out = f.read().decode("utf-8", "replace")
        lines = [ln for ln in out.split("\n") if ln.strip()]
        if len(lines) != 1:
            print("%s: expected one line on stdout, got %d: %r" % (label, len(lines), out[:500]))
            return 1
        if out.count("\n") != 1 or not out.endswith("\n"):
            problems.append("stdout is not exactly one newline-terminated line")
        if "\r" in out:
            problems.append("stdout line contains a CR")
        value = lines[0].strip()
        if args.sigs_from is None:
            ap.error("--ar-file needs --sigs-from")
    else:
        with open(args.in_message, "rb") as f:
            raw = f.read()
        fields, _ = split_message(raw)
        ours = []
        for idx, (n, v) in enumerate(fields):
            if v is None or n.strip().lower() != "authentication-results":
                continue
            uv = unfold(v.decode("utf-8", "replace"))
            try:
                h = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + uv)
                aid = h.authserv_id
            except Exception:  # noqa: BLE001 - a foreign field may be anything
                aid = None
            if aid is not None and args.authserv_id and \
                    strip_dot(aid) == strip_dot(args.authserv_id):
                ours.append((idx, n, uv))
        if len(ours) != 1:
            print("%s: expected exactly one Authentication-Results from %s, found %d%s" % (
                label, args.authserv_id, len(ours),
                "".join("\n    [%d] %s: %s" % (i, n, v[:200]) for i, n, v in ours)))
            return 1
        idx, name, value = ours[0]
        if args.top and idx != 0:
            problems.append("our Authentication-Results is header field %d, not the first" % idx)
        if args.top and name != "Authentication-Results":
            problems.append("field name written as %r" % name)
        if args.sigs_from is None:
            args.sigs_from = args.in_message
        if args.original:
            with open(args.original, "rb") as f:
                ofields, obody = split_message(f.read())
            rest = [fl for i, fl in enumerate(fields) if i != idx]
            _, body = split_message(raw)
            norm = lambda fl: [(n, None if v is None else v.replace(b"\r\n", b"\n"))
                               for n, v in fl]
            if norm(rest) != norm(ofields):
                problems.append("header fields other than ours differ from the original")
            # (a final line end a client added to the last line is fine)
            nb = lambda b: b.replace(b"\r\n", b"\n").rstrip(b"\n")
            if nb(body) != nb(obody):
                problems.append("body differs from the original")

    with open(args.sigs_from, "rb") as f:
        sigs = dkim_signatures(f.read())

    # --- parse with authres -------------------------------------------------
    try:
        h = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + value)
    except Exception as e:  # noqa: BLE001
        print("%s: authres cannot parse the field (%s): %s" % (label, e, value[:500]))
        return 1
    if args.authserv_id and h.authserv_id != args.authserv_id:
        problems.append("authserv-id %r, expected %r" % (h.authserv_id, args.authserv_id))
    results = []
    others = {}
    for r in h.results:
        if r.method in ("spf", "dmarc"):
            # signetd's SPF and DMARC results share the field; the DKIM
            # suites leave them to tests/dmarc (at most two spf, one dmarc).
            others[r.method] = others.get(r.method, 0) + 1
            if others[r.method] > (2 if r.method == "spf" else 1):
                problems.append("more %s results than expected" % r.method)
            continue
        if r.method != "dkim":
            problems.append("unexpected method %r" % r.method)
            continue
        props = {p.name: p.value for p in r.properties if p.type == "header"}
        results.append((r.result, props))
    scanned = [s for s in scan_results(value) if s[0] == "dkim"]
    if [s[1] for s in scanned] != [r[0] for r in results]:
        problems.append("authres and the comment scanner disagree: %s vs %s" % (
            [r[0] for r in results], [s[1] for s in scanned]))
    reasons = [s[2] for s in scanned] + [None] * len(results)

    # --- expectations -----------------------------------------------------------
    n = len(sigs)
    if args.expect_n is not None and n != args.expect_n:
        problems.append("message has %d DKIM-Signature fields, expected %d" % (n, args.expect_n))
    if args.all:
        specs = [args.all] * max(n, 1) if n else ["none"]
    elif args.last:
        specs = [args.others] * (n - 1) + [args.last] if n else ["none"]
    elif args.spec:
        specs = list(args.spec)
    else:
        specs = ["any"] * n
    if args.sel:
        bysel = dict(x.split("=", 1) for x in args.sel)
        for i, t in enumerate(sigs):
            if t.get("s") in bysel and i < len(specs):
                specs[i] = bysel[t.get("s")]
        missing = set(bysel) - set(t.get("s") for t in sigs)
        if missing:
            problems.append("no signature with s= %s" % ", ".join(sorted(missing)))
    if not specs:
        ap.error("no expectation given")

    if n == 0:
        ok = len(results) == 1 and results[0][0] == "none" and specs == ["none"]
        print("%s: unsigned: got %s, expected %s: %s" % (
            label, "; ".join("dkim=" + r for r, _ in results) or "no dkim result",
            " ".join(specs), "ok" if ok else "MISMATCH"))
        if not ok:
            problems.append("unsigned message: want exactly dkim=none")
    else:
        if len(specs) != n:
            problems.append("%d expectations for %d signatures" % (len(specs), n))
        if len(results) != n:
            problems.append("%d dkim results for %d signatures" % (len(results), n))
        for i, t in enumerate(sigs):
            desc = "sig %d/%d d=%s s=%s a=%s" % (i + 1, n, t.get("d", "?"), t.get("s", "?"),
                                                 t.get("a", "?"))
            spec = specs[i] if i < len(specs) else "any"
            if i >= len(results):
                print("%s: %s: no result, expected %s: MISMATCH" % (label, desc, spec))
                continue
            res, props = results[i]
            reason = reasons[i]
            good, why = spec_ok(spec, res, reason)
            bad_props = []
            pd, ps, pa, pb = props.get("d"), props.get("s"), props.get("a"), props.get("b")
            if pd is not None and "d" in t and pd.lower() != t["d"].lower():
                bad_props.append("header.d=%s" % pd)
            if ps is not None and "s" in t and ps != t["s"]:
                bad_props.append("header.s=%s" % ps)
            if pa is not None and "a" in t and pa.lower() != t["a"].lower():
                bad_props.append("header.a=%s" % pa)
            if pb is not None and "b" in t and (len(pb) < 8 or not t["b"].startswith(pb)) \
                    and not (len(pb) < 8 and pb == t["b"]):
                bad_props.append("header.b=%s" % pb)
            if res == "pass" and (pd is None or pb is None):
                bad_props.append("pass without header.d / header.b")
            print("%s: %s: dkim=%s%s, expected %s: %s" % (
                label, desc, res, " (%s)" % reason if reason is not None else "", spec,
                "ok" if good and not bad_props else
                "MISMATCH (%s)" % ", ".join(([why] if not good else []) + bad_props)))
            if not good:
                problems.append("sig %d: %s" % (i + 1, why))
            if bad_props:
                problems.append("sig %d: properties do not match the signature: %s" % (
                    i + 1, ", ".join(bad_props)))
    # one summary line, "= dkim=pass; dkim=fail (reason)", for the caller's log
    print("= " + "; ".join("dkim=%s%s" % (r, " (%s)" % c if c is not None else "")
                           for _, r, c in scanned))
    for p in problems:
        print("%s: %s" % (label, p))
    if problems:
        print("%s: field: %s" % (label, value[:1500]))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
