#!/usr/bin/python3
"""tests/bench/dnscount.py -- tests/lib/dnsserver.py that counts queries.

Same arguments as dnsserver.py, plus --count-file FILE: on SIGUSR1, and
once more when it stops, the number of queries answered so far (UDP and
TCP, malformed ones included) is written there atomically, as one line.
`make bench` uses it to show how many DNS queries each verifier made
during a run (a verifier that caches keys makes next to none).

--fast: answer from a memo of finished answers, one per distinct query
(the same question with the same flags and EDNS gets the same bytes, the
ID copied in), and serve UDP from one thread instead of one thread per
datagram. For static zones without DELAY, served to a filter that does
not cache (OpenDMARC asks for every message): back to back, a query then
costs the server about 20 us of CPU instead of about 600, so it takes
less of the CPU the filters share with it. --query-log still gets one
line per query.

Run with /usr/bin/python3 (python3-dnslib, python3-yaml).
"""

import os
import signal
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import dnsserver  # noqa: E402

_lock = threading.Lock()
_count = 0
_MEMO_MAX = 10000  # distinct queries remembered (--fast)


def _counting(orig):
    def build_wire(zone, data, udp):
        global _count
        with _lock:
            _count += 1
        return orig(zone, data, udp)
    return build_wire


def _log_line(data, udp):
    """The --query-log line for a query dnsserver parsed once already."""
    req = dnsserver.DNSRecord.parse(data)
    return "%s %s %s\n" % (dnsserver.norm(req.q.qname),
                           dnsserver.QTYPE.get(req.q.qtype, req.q.qtype),
                           "udp" if udp else "tcp")


def _memoizing(orig):
    """build_wire answering repeats from a memo keyed by the query minus
    its ID; the zone must be static (no DELAY: delay_of is skipped)."""
    memo = {}

    def build_wire(zone, data, udp):
        global _count
        key = (udp, data[2:])
        with _lock:
            _count += 1
            hit = memo.get(key)
        if hit is None:
            wire = orig(zone, data, udp)  # logs the query itself
            if wire is None or len(data) < 12 or len(memo) >= _MEMO_MAX:
                return wire
            with _lock:
                memo[key] = (wire, _log_line(data, udp))
            return wire
        wire, line = hit
        if dnsserver.QUERY_LOG is not None:
            with dnsserver.QUERY_LOG_LOCK:
                dnsserver.QUERY_LOG.write(line)
                dnsserver.QUERY_LOG.flush()
        return data[:2] + wire[2:]
    return build_wire


class _SerialUDP(dnsserver.socketserver.UDPServer):
    """UDP served by one thread: no thread started per datagram."""
    allow_reuse_address = True


def _write(path):
    with _lock:
        n = _count
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % n)
    os.rename(tmp, path)


def main():
    argv = sys.argv[1:]
    count_file = None
    if "--count-file" in argv:
        i = argv.index("--count-file")
        if i + 1 >= len(argv):
            sys.stderr.write("dnscount: --count-file needs a FILE\n")
            return 2
        count_file = argv[i + 1]
        del argv[i:i + 2]
    fast = "--fast" in argv
    if fast:
        argv.remove("--fast")
    sys.argv[1:] = argv
    if fast:
        dnsserver.build_wire = _memoizing(dnsserver.build_wire)
        dnsserver.delay_of = lambda zone, data: 0.0
        dnsserver.UDPServer = _SerialUDP
    else:
        dnsserver.build_wire = _counting(dnsserver.build_wire)
    if count_file:
        signal.signal(signal.SIGUSR1, lambda signum, frame: _write(count_file))
    rc = dnsserver.main()
    if count_file:
        _write(count_file)
    return rc


if __name__ == "__main__":
    sys.exit(main())
