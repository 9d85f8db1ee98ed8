#!/usr/bin/python3
"""tests/bench/dnscount.py -- tests/lib/dnsserver.py that counts queries.

Same arguments as dnsserver.py, plus --count-file FILE: on SIGUSR1, and
once more when it stops, the number of queries answered so far (UDP and
TCP, malformed ones included) is written there atomically, as one line.
`make bench` uses it to show how many DNS queries each verifier made
during a run (a verifier that caches keys makes next to none).

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


def _counting(orig):
    def build_wire(zone, data, udp):
        global _count
        with _lock:
            _count += 1
        return orig(zone, data, udp)
    return build_wire


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
    sys.argv[1:] = argv
    dnsserver.build_wire = _counting(dnsserver.build_wire)
    if count_file:
        signal.signal(signal.SIGUSR1, lambda signum, frame: _write(count_file))
    rc = dnsserver.main()
    if count_file:
        _write(count_file)
    return rc


if __name__ == "__main__":
    sys.exit(main())
