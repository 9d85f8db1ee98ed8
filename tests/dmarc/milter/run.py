#!/usr/bin/python3
"""tests/dmarc/milter/run.py -- the engine of the table-driven DMARC suite
through signetd (tests/dmarc/milter.sh drives it; cases.txt holds the
table and says what each key means).

    run.py groups CASES                      the configurations, in order:
                                             "NAME CASES HISTORY" lines (HISTORY
                                             as set, @TMP@ unexpanded; - none)
    run.py conf CASES GROUP PSL TMPDIR       the spf and dmarc groups of
                                             GROUP's signetd.conf
    run.py zone CASES ZONE KEYFILE OUT       ZONE plus s1._domainkey.D for
                                             every signing domain D
    run.py run CASES GROUP --sock S --miltc M --key K --log L --out DIR
               [--authserv-id ID]            every case of GROUP
    run.py history CASES GROUP DB            what GROUP's signetd recorded
                                             in its aggregate history DB

"run" sends each case's message to signetd with miltc and prints one
"ok   - ..." or "FAIL - ..." line per case (the failure with what was
expected and what came back), then "tally PASSED FAILED". For every
case it checks the verdict and the SMTP reply (or the quarantine reason);
for an accepted message that it carries exactly one Authentication-
Results field claiming our authserv-id, on top (below Received-SPF when
there is one), that python3-authres parses it, and that its results come in the order spf
(smtp.mailfrom), spf (smtp.helo), dkim..., dmarc, with the values the
case expects; for a rejected or tempfailed one the same results in the
line signetd logs for the message (its queue id).

Needs python3-dkim and python3-authres: run with Debian's /usr/bin/python3.
"""

import argparse
import base64
import os
import re
import shlex
import subprocess
import sys
import time

sys.modules.setdefault("dns", None)     # dkimpy: no dnspython needed to sign
sys.modules.setdefault("DNS", None)
import authres  # noqa: E402
import dkim  # noqa: E402

AUTHSERV = "mx.example.com"
DEFAULT_IP = "198.51.100.66"
DEFAULT_HELO = "mta.nowhere.test"
DEFAULT_MFROM = "bounce@nowhere.test"
SELECTOR = "s1"
LOG_WAIT_S = 3
# The replies signetd gives (README, etc/signetd.conf); %s is the domain.
REPLY_REJECT = "550 5.7.1 Rejected by the DMARC policy of %s"
REPLY_QUARANTINE = "DMARC policy of %s: quarantine"
REPLY_TEMPFAIL = "451 4.7.1 DMARC evaluation of %s failed temporarily, try again later"
REPLY_MALFORMED = "550 5.7.1 Rejected: malformed From header field (%s)"

# signetd.conf defaults (spec: etc/signetd.conf); "set" lines override.
CONF_DEFAULTS = [
    ("spf", "enabled", "true"),
    ("spf", "received_spf", "false"),
    ("spf", "timeout_ms", "20000"),
    ("dmarc", "enabled", "true"),
    ("dmarc", "mode", '"rfc9989"'),
    ("dmarc", "public_suffix_list", '"@PSL@"'),
    ("dmarc", "reject_failures", "true"),
    ("dmarc", "quarantine", '"quarantine"'),
    ("dmarc", "on_temperror", '"accept"'),
    ("dmarc", "malformed_from", '"reject"'),
    ("dmarc", "override_domains", "[ ]"),
    ("dmarc", "override_hosts", "[ ]"),
    ("dmarc", "history", '""'),
]

EXPECT_KEYS = ("reply", "why", "dmarc", "comment", "hfrom", "p", "dis",
               "spf", "spfhelo", "dkim", "rspf")
VERDICTS = ("accept", "reject", "tempfail", "quarantine")


class TableError(Exception):
    pass


def unescape(s):
    r"""\n -> CRLF (a fold), \t -> TAB, \\ -> \, \uHHHH -> that character."""
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c != "\\" or i + 1 == len(s):
            out.append(c)
            i += 1
            continue
        n = s[i + 1]
        if n == "n":
            out.append("\r\n")
        elif n == "t":
            out.append("\t")
        elif n == "\\":
            out.append("\\")
        elif n == "u" and re.match(r"[0-9a-fA-F]{4}$", s[i + 2:i + 6]):
            out.append(chr(int(s[i + 2:i + 6], 16)))
            i += 4
        else:
            raise TableError("unknown escape \\%s" % n)
        i += 2
    return "".join(out)


class Case:
    def __init__(self, cid, lineno):
        self.id = cid
        self.lineno = lineno
        self.froms = []         # From field values; None: no From field
        self.hdrs = []          # raw extra header lines
        self.ip = DEFAULT_IP
        self.helo = DEFAULT_HELO
        self.mfrom = DEFAULT_MFROM
        self.signs = []         # (domain, broken)
        self.verdict = None
        self.expect = {}        # key -> value (comment: list of (op, text))


class Group:
    def __init__(self, name):
        self.name = name
        self.sets = []          # (section, key, raw libconfig value)
        self.cases = []

    def conf(self, section, key):
        val = dict(((s, k), v) for s, k, v in CONF_DEFAULTS)
        for s, k, v in self.sets:
            val[(s, k)] = v
        return val.get((section, key))


def parse_token(case, tok):
    m = re.match(r"([a-z]+)(=|~)(.*)$", tok, re.S)
    if not m:
        if tok in VERDICTS:
            case.verdict = tok
            return
        raise TableError("not key=value or a verdict: %r" % tok)
    key, op, val = m.group(1), m.group(2), unescape(m.group(3))
    if op == "~" and key not in ("reply", "comment"):
        raise TableError("%s~ is not a thing (only reply~ and comment~)" % key)
    if key == "from":
        case.froms.append(None if val == "none" else val)
    elif key == "hdr":
        case.hdrs.append(val)
    elif key == "ip":
        case.ip = val
    elif key == "helo":
        case.helo = val
    elif key == "mfrom":
        case.mfrom = val
    elif key == "sign":
        d, _, flag = val.partition("/")
        if flag not in ("", "broken"):
            raise TableError("sign=%s: only /broken may follow the domain" % val)
        case.signs.append((d, flag == "broken"))
    elif key == "comment":
        case.expect.setdefault("comment", []).append((op, val))
    elif key == "reply":
        case.expect["reply"] = (op, val)
    elif key in EXPECT_KEYS:
        case.expect[key] = val
    else:
        raise TableError("unknown key %s" % key)


def parse_table(path):
    """The groups of cases.txt, in order."""
    groups, logical = [], []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            if line[0] in " \t" and logical:
                logical[-1][1] += " " + s
            else:
                logical.append([n, s])
    for n, s in logical:
        try:
            m = re.match(r"\[([A-Za-z0-9_-]+)\]$", s)
            if m:
                groups.append(Group(m.group(1)))
                continue
            if not groups:
                raise TableError("a case before the first [group]")
            g = groups[-1]
            m = re.match(r"set\s+(spf|dmarc)\.([a-z_]+)\s*=\s*(.+?);?$", s)
            if m:
                if g.cases:
                    raise TableError("set after the group's first case")
                if (m.group(1), m.group(2)) not in [(a, b) for a, b, _ in CONF_DEFAULTS]:
                    raise TableError("set %s.%s: not a key run.py knows" % m.group(1, 2))
                g.sets.append((m.group(1), m.group(2), m.group(3)))
                continue
            toks = shlex.split(s, posix=True)
            c = Case(toks[0], n)
            if not re.match(r"[A-Za-z0-9_.=+-]+$", c.id):
                raise TableError("bad case id %r" % c.id)
            for t in toks[1:]:
                parse_token(c, t)
            if c.verdict is None:
                raise TableError("no verdict (%s)" % "|".join(VERDICTS))
            if not c.froms:
                raise TableError("no from= (from=none for a message without one)")
            if any(queue_id(x) == queue_id(c) for gg in groups for x in gg.cases):
                raise TableError("duplicate case id (ignoring punctuation)")
            g.cases.append(c)
        except (TableError, ValueError) as e:
            raise TableError("%s:%d: %s" % (path, n, e))
    return groups


def find_group(groups, name):
    for g in groups:
        if g.name == name:
            return g
    raise TableError("no group [%s]" % name)


# --- commands other than run ------------------------------------------------------

def cmd_groups(args):
    for g in parse_table(args.cases):
        hist = g.conf("dmarc", "history").strip('"')
        print(g.name, len(g.cases), hist or "-")


def cmd_conf(args):
    g = find_group(parse_table(args.cases), args.group)
    for section in ("spf", "dmarc"):
        print("%s = {" % section)
        for s, k, _ in CONF_DEFAULTS:
            if s == section:
                v = g.conf(s, k).replace("@PSL@", args.psl).replace("@TMP@", args.tmpdir)
                print("  %s = %s;" % (k, v))
        print("};")


def cmd_zone(args):
    with open(args.zone, encoding="utf-8") as f:
        text = f.read()
    rec = dkim_record(args.keyfile)
    domains = []
    for g in parse_table(args.cases):
        for c in g.cases:
            for d, _ in c.signs:
                if d.lower() not in domains:
                    domains.append(d.lower())
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
        f.write("\n# added by run.py: the test key for every signing domain\n")
        for d in domains:
            f.write('%s._domainkey.%s:\n  - TXT: "%s"\n' % (SELECTOR, d, rec))


def dkim_record(keyfile):
    der = subprocess.run(["openssl", "pkey", "-in", keyfile, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


# --- messages ------------------------------------------------------------------------

def build_message(case, key):
    """The case's message, CRLF line ends, signed as it asks."""
    head = []
    for v in case.froms:
        if v is not None:
            head.append("From: " + v)
    head += case.hdrs
    head += ["To: Bob <bob@example.org>",
             "Subject: DMARC case %s" % case.id,
             "Date: Mon, 23 Nov 2026 10:00:00 +0000",
             "Message-ID: <%s@dmarc-milter.test>" % case.id,
             "MIME-Version: 1.0",
             "Content-Type: text/plain; charset=utf-8"]
    body = "Hello Bob,\r\nthis is DMARC case %s.\r\n" % case.id
    msg = ("\r\n".join(head) + "\r\n\r\n" + body).encode("utf-8")
    for d, _ in case.signs:
        sig = dkim.sign(msg, SELECTOR.encode(), d.encode(), key,
                        canonicalize=(b"relaxed", b"relaxed"),
                        include_headers=[b"from", b"to", b"subject", b"date",
                                         b"message-id"],
                        linesep=b"\r\n")
        msg = sig + msg
    if any(broken for _, broken in case.signs):
        msg = msg.replace(b"this is DMARC case", b"this is NOT DMARC case")
    return msg


def header_fields(raw):
    """[(name, value with folds)] of a message."""
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0].decode("utf-8", "replace")
    fields = []
    for line in re.split(r"\r?\n", head):
        if line[:1] in (" ", "\t") and fields:
            fields[-1][1] += "\r\n" + line
        elif ":" in line:
            name, value = line.split(":", 1)
            fields.append([name.strip(), value])
    return fields


def unfold(v):
    return re.sub(r"\r?\n(?=[ \t])", "", v).strip()


# --- Authentication-Results ------------------------------------------------------------

def split_top(value):
    """Split an A-R value at the semicolons outside quotes and comments."""
    parts, cur, depth, quoted, i = [], [], 0, False, 0
    while i < len(value):
        c = value[i]
        if c == "\\" and (quoted or depth) and i + 1 < len(value):
            cur.append(value[i:i + 2])
            i += 2
            continue
        if quoted:
            quoted = c != '"'
        elif c == '"' and depth == 0:
            quoted = True
        elif c == "(":
            depth += 1
        elif c == ")" and depth:
            depth -= 1
        elif c == ";" and depth == 0:
            parts.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    parts.append("".join(cur))
    return parts


def take_comment(s):
    """(comment text, rest) when s starts (after spaces) with a comment."""
    s = s.lstrip()
    if not s.startswith("("):
        return None, s
    depth, i = 0, 0
    while i < len(s):
        if s[i] == "\\":
            i += 2
            continue
        if s[i] == "(":
            depth += 1
        elif s[i] == ")":
            depth -= 1
            if depth == 0:
                return s[1:i], s[i + 1:]
        i += 1
    return s[1:], ""


def strip_comments(s):
    out, depth, quoted, i = [], 0, False, 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s) and (quoted or depth):
            if not depth:
                out.append(s[i:i + 2])
            i += 2
            continue
        if quoted:
            quoted = c != '"'
            out.append(c)
        elif depth:
            depth += {"(": 1, ")": -1}.get(c, 0)
        elif c == "(":
            depth = 1
        else:
            quoted = c == '"'
            out.append(c)
        i += 1
    return "".join(out)


def parse_ar(value):
    """(authserv-id, [{method, result, comment, props}]) or raises ValueError.
    Also parsed by python3-authres, which must agree on the results."""
    value = unfold(value)
    parts = split_top(value)
    aid = strip_comments(parts[0]).split()
    if not aid:
        raise ValueError("no authserv-id")
    results = []
    for p in parts[1:]:
        body = p.strip()
        if not body:
            continue
        m = re.match(r"\s*([A-Za-z0-9_-]+)\s*=\s*([A-Za-z0-9_-]+)", body)
        if not m:
            if strip_comments(body).strip() == "none":
                continue
            raise ValueError("not method=result: %r" % body)
        comment, rest = take_comment(body[m.end():])
        props = {}
        for pm in re.finditer(r'([A-Za-z0-9_-]+)\.([A-Za-z0-9_.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s;]+)',
                              strip_comments(rest)):
            v = pm.group(3)
            if v.startswith('"'):
                v = re.sub(r"\\(.)", r"\1", v[1:-1])
            props["%s.%s" % (pm.group(1).lower(), pm.group(2).lower())] = v
        results.append({"method": m.group(1).lower(), "result": m.group(2).lower(),
                        "comment": comment, "props": props})
    try:
        h = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + value)
    except Exception as e:  # noqa: BLE001 - any parse failure is the finding
        raise ValueError("python3-authres cannot parse it: %s" % e)
    theirs = [(r.method.lower(), str(r.result).lower()) for r in h.results]
    ours = [(r["method"], r["result"]) for r in results]
    if theirs != ours:
        raise ValueError("python3-authres reads %s, the scanner %s" % (theirs, ours))
    return aid[0].strip('"'), results


def claims_ours(value, authserv):
    try:
        aid = strip_comments(unfold(split_top(value)[0])).split()
    except Exception:  # noqa: BLE001
        return False
    return bool(aid) and aid[0].strip('"').rstrip(".").lower() == authserv.lower()


# --- checking one case ------------------------------------------------------------------

def author_of(case):
    """The From domain of a plain one-address From, else None."""
    if len(case.froms) != 1 or case.froms[0] is None:
        return None
    m = re.match(r"^\s*(?:[^<>@\"]*<)?[^@<>\s\"(),]+@([A-Za-z0-9.-]+?)\.?>?\s*$", case.froms[0])
    return m.group(1).lower() if m else None


def expected_reply(case, hfrom):
    """(op, text) the reply (or quarantine reason) must match, or None."""
    if "reply" in case.expect:
        return case.expect["reply"]
    why = case.expect.get("why")
    if case.verdict == "reject" and why is not None:
        return ("=", REPLY_MALFORMED % why)
    if hfrom is None:
        return None
    form = {"reject": REPLY_REJECT, "quarantine": REPLY_QUARANTINE,
            "tempfail": REPLY_TEMPFAIL}.get(case.verdict)
    return ("=", form % hfrom.lower()) if form else None


def reply_ok(want, got):
    if got is None:
        return False
    op, text = want
    if op == "=":
        return got == text
    if op == "~":
        return text.lower() in got.lower()
    return False


def check_order(results, problems):
    """spf (smtp.mailfrom), spf (smtp.helo), dkim..., dmarc."""
    rank = {"spf": 0, "dkim": 2, "dmarc": 3}
    ranks = [1 if r["method"] == "spf" and "smtp.helo" in r["props"]
             else rank.get(r["method"], 9) for r in results]
    if ranks != sorted(ranks):
        problems.append("results not in the order spf (mailfrom), spf (helo), dkim, dmarc")


def check_spf(case, group, results, problems):
    mf = [r for r in results if r["method"] == "spf" and "smtp.mailfrom" in r["props"]]
    he = [r for r in results if r["method"] == "spf" and "smtp.helo" in r["props"]]
    if len(mf) + len(he) != sum(1 for r in results if r["method"] == "spf"):
        problems.append("an spf result without smtp.mailfrom or smtp.helo")
    if group.conf("spf", "enabled") != "true":
        if mf or he:
            problems.append("spf results although spf.enabled = false")
    else:
        if case.mfrom == "":
            if mf:
                problems.append("an smtp.mailfrom result for a null MAIL FROM")
        elif len(mf) != 1:
            problems.append("%d spf results for smtp.mailfrom (want 1)" % len(mf))
        elif mf[0]["props"]["smtp.mailfrom"].lower() != case.mfrom.lower():
            problems.append("smtp.mailfrom=%s (want %s)" % (mf[0]["props"]["smtp.mailfrom"], case.mfrom))
        if len(he) != 1:
            problems.append("%d spf results for smtp.helo (want 1)" % len(he))
        elif he[0]["props"]["smtp.helo"].lower() != case.helo.lower():
            problems.append("smtp.helo=%s (want %s)" % (he[0]["props"]["smtp.helo"], case.helo))
    for key, res, what in (("spf", mf, "smtp.mailfrom"), ("spfhelo", he, "smtp.helo")):
        want = case.expect.get(key)
        got = res[0]["result"] if res else "-"
        if want is not None and got != want:
            problems.append("spf=%s for %s (want %s)" % (got, what, want))


def check_dkim(case, results, problems):
    dk = [r for r in results if r["method"] == "dkim"]
    if "dkim" in case.expect:
        want = sorted(case.expect["dkim"].split(","))
    elif case.signs:
        broken = any(b for _, b in case.signs)
        want = ["fail" if broken else "pass"] * len(case.signs)
    else:
        want = ["none"]
    got = sorted(r["result"] for r in dk)
    if got != want:
        problems.append("dkim=%s (want %s)" % (",".join(got), ",".join(want)))
    signed = sorted(d.lower() for d, _ in case.signs)
    got_d = sorted(r["props"].get("header.d", "").lower() for r in dk if r["result"] != "none")
    if case.signs and got_d != signed:
        problems.append("dkim header.d %s (want %s)" % (got_d, signed))


def check_dmarc(case, group, results, problems):
    dm = [r for r in results if r["method"] == "dmarc"]
    if group.conf("dmarc", "enabled") != "true":
        if dm:
            problems.append("a dmarc result although dmarc.enabled = false")
        return
    if len(dm) != 1:
        problems.append("%d dmarc results (want 1)" % len(dm))
        return
    d, comment = dm[0], dm[0]["comment"] or ""
    # a malformed From (why=) is a permerror unless the row says otherwise
    want = case.expect.get("dmarc", "permerror" if "why" in case.expect else None)
    if want is not None and d["result"] != want:
        problems.append("dmarc=%s (want %s)" % (d["result"], want))
    for _, text in case.expect.get("comment", []):
        if text.lower() not in comment.lower():
            problems.append("dmarc comment (%s) lacks %r" % (comment, text))
    why = case.expect.get("why")
    if why is not None and why.lower() not in comment.lower():
        problems.append("dmarc comment (%s) lacks the reason %r" % (comment, why))
    m = re.match(r"\s*p=(\w+) dis=(\w+)", comment)
    if d["result"] in ("pass", "fail") and not m:
        problems.append("dmarc=%s comment (%s) is not \"p=P dis=D...\"" % (d["result"], comment))
    for k, idx in (("p", 1), ("dis", 2)):
        if k in case.expect and m and m.group(idx) != case.expect[k]:
            problems.append("dmarc comment %s=%s (want %s)" % (k, m.group(idx), case.expect[k]))
        elif k in case.expect and not m:
            problems.append("dmarc comment (%s) has no %s= (want %s)" % (comment, k, case.expect[k]))
    hfrom = case.expect.get("hfrom") or author_of(case)
    got = d["props"].get("header.from")
    if hfrom and (got is not None or d["result"] in ("pass", "fail")):
        if (got or "").lower() != hfrom.lower():
            problems.append("header.from=%s (want %s)" % (got, hfrom))


def check_results(case, group, results, problems):
    """The A-R results against the case (problems gets what is wrong)."""
    check_order(results, problems)
    check_spf(case, group, results, problems)
    check_dkim(case, results, problems)
    check_dmarc(case, group, results, problems)


def log_results(logf, qid, authserv, deadline):
    """The A-R text signetd logged for queue id qid (None if none)."""
    pat = re.compile(r"\b%s:.*?(%s\s*;.*)$" % (re.escape(qid), re.escape(authserv)), re.I)
    while True:
        with open(logf, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = pat.search(line.rstrip("\n"))
                if m and "=" in m.group(1):
                    return m.group(1)
        if time.time() > deadline:
            return None
        time.sleep(0.1)


def queue_id(case):
    return "Q" + re.sub(r"[^A-Za-z0-9]", "", case.id)


def from_message(case, group, path, authserv, problems):
    """The results of our one A-R in the message signetd passed on."""
    with open(path, "rb") as f:
        fields = header_fields(f.read())
    ours = [i for i, (n, v) in enumerate(fields)
            if n.lower() == "authentication-results" and claims_ours(v, authserv)]
    rspf = [unfold(v) for n, v in fields if n.lower() == "received-spf"]
    if "rspf" in case.expect:
        if len(rspf) != 1 or not rspf[0].lower().startswith(case.expect["rspf"] + " "):
            problems.append("Received-SPF %s (want one, %s)" % (rspf, case.expect["rspf"]))
        elif not re.search(r'client-ip="?%s"?(;|$)' % re.escape(case.ip), rspf[0]):
            problems.append("Received-SPF without client-ip=%s: %s" % (case.ip, rspf[0]))
    elif group.conf("spf", "received_spf") != "true" and rspf:
        problems.append("a Received-SPF field although received_spf = false: %s" % rspf)
    if len(ours) != 1:
        problems.append("%d Authentication-Results fields claim %s (want 1)" % (len(ours), authserv))
        return None
    if ours[0] != 0 and not (ours[0] == 1 and fields[0][0].lower() == "received-spf"):
        problems.append("our Authentication-Results is field %d, not on top" % (ours[0] + 1))
    try:
        return parse_ar(fields[ours[0]][1])[1]
    except ValueError as e:
        problems.append("our A-R: %s: %s" % (e, unfold(fields[ours[0]][1])))
        return None


def from_log(logf, qid, reply, authserv, problems):
    """The results signetd logged for a message it refused."""
    text = log_results(logf, qid, authserv, time.time() + LOG_WAIT_S)
    if text is None:
        problems.append("no log line with the results for queue id %s" % qid)
        return None
    # signetd logs "...; REPLY TEXT" after the results: not a result
    said = reply.split(" ", 2)[-1] if reply else None
    if said and text.endswith("; " + said):
        text = text[:-len(said) - 2]
    try:
        return parse_ar(text)[1]
    except ValueError as e:
        problems.append("logged results: %s: %s" % (e, text))
        return None


def run_case(case, group, args, key):
    """Send the case; (problems, miltc's stderr, a one-line summary)."""
    problems = []
    base = os.path.join(args.out, case.id)
    with open(base + ".eml", "wb") as f:
        f.write(build_message(case, key))
    qid = queue_id(case)
    cmd = [args.miltc, "-s", args.sock, "-c", case.ip, "-h", case.helo, "-f", case.mfrom,
           "-r", "bob@example.org", "-q", qid, "-v", "-t", "60", "-o", base + ".out",
           base + ".eml"]
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=90)
    err = p.stderr
    m = re.search(r"^verdict: (\w+)(.*)$", err, re.M)
    if not m:
        return ["miltc gave no verdict (exit %d): %s" % (p.returncode, err.strip()[-400:])], err, ""
    verdict = m.group(1)
    reply = re.sub(r" \(at [^)]*\)$", "", m.group(2)).strip() or None
    quar = re.findall(r'^mod: quarantine "(.*)"$', err, re.M)
    if verdict in ("accept", "continue"):
        verdict = "quarantine" if quar else "accept"
        if reply:
            problems.append("a reply code on an accepted message: %s" % reply)
        reply = quar[0] if quar else None
    elif quar:
        problems.append("quarantine action together with %s" % verdict)
    if verdict != case.verdict:
        problems.append("verdict %s%s (want %s)" % (verdict, " " + reply if reply else "", case.verdict))

    if verdict in ("accept", "quarantine"):
        results = from_message(case, group, base + ".out", args.authserv_id, problems)
    else:
        results = from_log(args.log, qid, reply, args.authserv_id, problems)
    if results is not None:
        check_results(case, group, results, problems)

    want = expected_reply(case, case.expect.get("hfrom") or author_of(case))
    if want is not None and verdict == case.verdict and not reply_ok(want, reply):
        problems.append("reply %r (want %s %r)" % (reply, {"=": "exactly", "~": "containing"}[want[0]],
                                                   want[1]))
    if case.verdict in ("reject", "tempfail", "quarantine") and want is None:
        problems.append("table: no reply to check (give hfrom= or reply=)")
    return problems, err, summary(verdict, results)


def summary(verdict, results):
    """"accept: spf=pass dkim=pass dmarc=pass (p=reject dis=none)" for the log."""
    words = []
    for r in results or []:
        w = "%s=%s" % (r["method"], r["result"])
        if r["method"] == "dmarc" and r["comment"]:
            w += " (%s)" % r["comment"]
        words.append(w)
    return "%s: %s" % (verdict, " ".join(words) or "no results")


def cmd_run(args):
    groups = parse_table(args.cases)
    g = find_group(groups, args.group)
    with open(args.key, "rb") as f:
        key = f.read()
    os.makedirs(args.out, exist_ok=True)
    passed = failed = 0
    for c in g.cases:
        try:
            problems, err, got = run_case(c, g, args, key)
        except Exception as e:  # noqa: BLE001 - one broken case, not the run
            problems, err, got = ["%s: %s" % (type(e).__name__, e)], "", ""
        label = "[%s] %s (%s:%d)" % (g.name, c.id, os.path.basename(args.cases), c.lineno)
        if problems:
            failed += 1
            print("FAIL - " + label)
            for p in problems:
                print("       " + p)
            for line in err.strip().splitlines()[:12]:
                print("       | " + line[:300])
        else:
            passed += 1
            print("ok   - %s %s" % (label, got[:200]))
        sys.stdout.flush()
    print("tally %d %d" % (passed, failed))


def cmd_history(args):
    """Every case of GROUP expecting dmarc=pass or fail has its one row in
    the history's messages table (by queue id), with that result, its From
    domain and client address; no other case has one."""
    import sqlite3
    g = find_group(parse_table(args.cases), args.group)
    db = sqlite3.connect("file:%s?mode=ro" % args.db, uri=True)
    rows = {}
    for qid, res, hfrom, ip in db.execute(
            "select queue_id, result, header_from, source_ip from messages"):
        rows.setdefault(qid, []).append((res, (hfrom or "").lower(), ip))
    passed = failed = 0
    bad = []
    for c in g.cases:
        want = c.expect.get("dmarc")
        got = rows.pop(queue_id(c), [])
        if want not in ("pass", "fail"):
            if got:
                bad.append("%s (dmarc=%s): recorded %s" % (c.id, want, got))
            continue
        hfrom = (c.expect.get("hfrom") or author_of(c) or "").lower()
        if got != [(want, hfrom, c.ip)]:
            bad.append("%s: recorded %s (want [%r])" % (c.id, got, (want, hfrom, c.ip)))
    for qid, got in rows.items():
        bad.append("a record for queue id %s, which no case sent: %s" % (qid, got))
    label = "[%s] history: one record per message with dmarc=pass/fail, with its result, From domain and client" % g.name
    if bad:
        failed += 1
        print("FAIL - " + label)
        for b in bad[:20]:
            print("       " + b)
    else:
        passed += 1
        print("ok   - " + label)
    print("tally %d %d" % (passed, failed))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("groups")
    p.add_argument("cases")
    p = sub.add_parser("conf")
    p.add_argument("cases")
    p.add_argument("group")
    p.add_argument("psl")
    p.add_argument("tmpdir")
    p = sub.add_parser("zone")
    p.add_argument("cases")
    p.add_argument("zone")
    p.add_argument("keyfile")
    p.add_argument("out")
    p = sub.add_parser("history")
    p.add_argument("cases")
    p.add_argument("group")
    p.add_argument("db")
    p = sub.add_parser("run")
    p.add_argument("cases")
    p.add_argument("group")
    p.add_argument("--sock", required=True)
    p.add_argument("--miltc", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--authserv-id", default=AUTHSERV)
    args = ap.parse_args()
    try:
        {"groups": cmd_groups, "conf": cmd_conf, "zone": cmd_zone, "run": cmd_run,
         "history": cmd_history}[args.cmd](args)
    except TableError as e:
        sys.stderr.write("run.py: %s\n" % e)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
