#!/usr/bin/python3
"""tests/lib/dnsserver.py -- an authoritative DNS server for tests.

Serves one or more zones in the YAML zone form of the shared conformance
data (conformance/README.md, "The YAML zone form") over UDP and TCP on
loopback addresses:

    NAME:                              # owner name, any case, dot optional
      - TXT: "v=DKIM1; p=..."          # one string (split at 255 bytes)
      - TXT: ["split", "strings"]      # several character-strings
      - A: 192.0.2.1
      - AAAA: "2001:db8::1"
      - MX: [10, mx.example]
      - PTR: host.example
      - CNAME: other.example
      - SERVFAIL: true                 # every query for NAME: SERVFAIL
      - TIMEOUT: true                  # types NAME does not list: no answer
      - TTL: 1                         # TTL of NAME's records (default 300)
      - DELAY: 400                     # answer queries for NAME after 400 ms

A name absent from the zones is NXDOMAIN; a listed name without the asked
type gets an empty NOERROR answer. Names are case-insensitive. UDP answers
larger than 512 bytes (or the EDNS payload size the query offers) are sent
truncated (TC=1, no records), so the client retries over TCP.
A DELAY holds back only the answers for that name: other queries, on UDP
or on the same TCP connection, are answered meanwhile.

Usage (run with Debian's /usr/bin/python3, which has python3-dnslib and
python3-yaml):

    dnsserver.py --zone zone.yml [--zone more.yml] \
                 [--listen 127.0.0.1:0] [--listen 127.0.53.1:53] \
                 [--port-file FILE] [--query-log FILE] [--verbose]

--listen is repeatable (default 127.0.0.1:0); port 0 picks a free port
(the same one for UDP and TCP). Only loopback addresses are accepted.
--port-file is written once every socket listens: one port per line, in
--listen order, written atomically (scripts wait for it to appear).
--query-log appends one line per query received, "NAME TYPE PROTO" (name
lower case without the trailing dot, type as QTYPE names it, udp or tcp),
flushed before the answer goes out, so a test can count the queries that
reached the server.
SIGTERM / SIGINT stop the server (exit 0).
"""

import argparse
import ipaddress
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import time

import yaml
from dnslib import (AAAA, CNAME, EDNS0, MX, PTR, QTYPE, RCODE, RR, TXT, A,
                    DNSHeader, DNSRecord, DNSError)

UDP_PLAIN_MAX = 512
TCP_IDLE_SECONDS = 10
MAX_CNAME_CHAIN = 8

VERBOSE = False
QUERY_LOG = None
QUERY_LOG_LOCK = threading.Lock()


def log(msg):
    if VERBOSE:
        sys.stderr.write("dnsserver: %s\n" % msg)
        sys.stderr.flush()


def norm(name):
    """Owner-name key: lower case, no trailing dot."""
    name = str(name).strip()
    if name.endswith(".") and name != ".":
        name = name[:-1]
    return name.lower()


def split_txt(value):
    """A TXT value (str or list) -> list of byte strings of <= 255 bytes."""
    parts = value if isinstance(value, list) else [value]
    out = []
    for p in parts:
        b = p if isinstance(p, bytes) else str(p).encode("utf-8")
        if not b:
            out.append(b"")
            continue
        for i in range(0, len(b), 255):
            out.append(b[i:i + 255])
    return out


def log_query(request, udp):
    if QUERY_LOG is None or not request.questions:
        return
    line = "%s %s %s\n" % (norm(request.q.qname),
                           QTYPE.get(request.q.qtype, request.q.qtype),
                           "udp" if udp else "tcp")
    with QUERY_LOG_LOCK:
        QUERY_LOG.write(line)
        QUERY_LOG.flush()


def new_entry():
    return {"records": [], "servfail": False, "timeout": False,
            "ttl": 300, "delay": 0.0}


class Zone:
    """name -> {"records": [(qtype, rdata)], "servfail": bool, "timeout": bool,
               "ttl": seconds, "delay": seconds}"""

    def __init__(self):
        self.names = {}

    def load(self, path):
        with open(path, "rb") as f:
            data = yaml.safe_load(f)
        if data is None:
            return
        if not isinstance(data, dict):
            raise ValueError("%s: top level must be a mapping NAME -> records" % path)
        for owner, records in data.items():
            entry = self.names.setdefault(norm(owner), new_entry())
            if records is None:
                continue
            if not isinstance(records, list):
                records = [records]
            for rec in records:
                if not isinstance(rec, dict) or len(rec) != 1:
                    raise ValueError("%s: %s: each record must be a one-key mapping, got %r"
                                     % (path, owner, rec))
                (rtype, value), = rec.items()
                self._add(path, owner, entry, str(rtype).upper(), value)

    @staticmethod
    def _append(entry, qtype, rdata):
        # Zones merged from several files may repeat a record: keep one
        # (an RRset holds no duplicates).
        for t, r in entry["records"]:
            if t == qtype and r == rdata:
                return
        entry["records"].append((qtype, rdata))

    def _add(self, path, owner, entry, rtype, value):
        if rtype == "TXT":
            self._append(entry, QTYPE.TXT, TXT(split_txt(value)))
        elif rtype == "A":
            self._append(entry, QTYPE.A, A(str(value)))
        elif rtype == "AAAA":
            self._append(entry, QTYPE.AAAA, AAAA(str(value)))
        elif rtype == "MX":
            if isinstance(value, list) and len(value) == 2:
                pref, host = value
            elif isinstance(value, str) and len(value.split()) == 2:
                pref, host = value.split()
            else:
                raise ValueError("%s: %s: MX wants [preference, host], got %r"
                                 % (path, owner, value))
            self._append(entry, QTYPE.MX, MX(str(host), int(pref)))
        elif rtype == "PTR":
            self._append(entry, QTYPE.PTR, PTR(str(value)))
        elif rtype == "CNAME":
            self._append(entry, QTYPE.CNAME, CNAME(str(value)))
        elif rtype == "SERVFAIL":
            entry["servfail"] = bool(value)
        elif rtype == "TIMEOUT":
            entry["timeout"] = bool(value)
        elif rtype == "TTL":
            entry["ttl"] = int(value)
        elif rtype == "DELAY":
            entry["delay"] = int(value) / 1000.0
        else:
            raise ValueError("%s: %s: unsupported record type %s" % (path, owner, rtype))

    def answer(self, request):
        """Build the reply for a parsed request; None means: send nothing."""
        reply = DNSRecord(DNSHeader(id=request.header.id, qr=1, aa=1,
                                    rd=request.header.rd, ra=0,
                                    opcode=request.header.opcode),
                          q=request.q)
        if request.header.opcode != 0 or len(request.questions) != 1:
            reply.header.rcode = RCODE.NOTIMP if request.header.opcode != 0 else RCODE.FORMERR
            return reply
        qname = request.q.qname
        qtype = request.q.qtype
        name = norm(qname)
        seen = 0
        while True:
            entry = self.names.get(name)
            if entry is None:
                if seen == 0:
                    reply.header.rcode = RCODE.NXDOMAIN
                return reply
            if entry["servfail"]:
                if seen == 0:
                    reply = DNSRecord(DNSHeader(id=request.header.id, qr=1, aa=0,
                                                rd=request.header.rd, ra=0,
                                                rcode=RCODE.SERVFAIL),
                                      q=request.q)
                return reply
            types = {t for t, _ in entry["records"]}
            if entry["timeout"] and qtype not in types and not (
                    QTYPE.CNAME in types) and qtype != QTYPE.ANY:
                return None
            matched = [(t, r) for t, r in entry["records"]
                       if t == qtype or qtype == QTYPE.ANY]
            if matched:
                for t, r in matched:
                    reply.add_answer(RR(qname if seen == 0 else name + ".",
                                        t, rdata=r, ttl=entry["ttl"]))
                return reply
            cnames = [r for t, r in entry["records"] if t == QTYPE.CNAME]
            if cnames and seen < MAX_CNAME_CHAIN:
                reply.add_answer(RR(qname if seen == 0 else name + ".",
                                    QTYPE.CNAME, rdata=cnames[0], ttl=entry["ttl"]))
                name = norm(cnames[0].label)
                seen += 1
                continue
            return reply  # NOERROR, no data


def edns_payload(request):
    for rr in request.ar:
        if rr.rtype == QTYPE.OPT:
            return max(UDP_PLAIN_MAX, int(rr.rclass))
    return None


def delay_of(zone, data):
    """Seconds to hold back the answer to the query in data (DELAY)."""
    try:
        request = DNSRecord.parse(data)
    except Exception:  # noqa: BLE001 - malformed input: build_wire says so
        return 0.0
    if not request.questions:
        return 0.0
    entry = zone.names.get(norm(request.q.qname))
    return entry["delay"] if entry else 0.0


def build_wire(zone, data, udp):
    try:
        request = DNSRecord.parse(data)
    except (DNSError, Exception) as e:  # noqa: BLE001 - malformed input
        log("malformed query (%s)" % e)
        if len(data) >= 2:
            hdr = DNSHeader(id=struct.unpack("!H", data[:2])[0], qr=1,
                            rcode=RCODE.FORMERR)
            return DNSRecord(hdr).pack()
        return None
    if request.header.qr:
        return None
    log_query(request, udp)
    reply = zone.answer(request)
    qdesc = "%s %s" % (request.q.qname, QTYPE.get(request.q.qtype, request.q.qtype)) \
        if request.questions else "(no question)"
    if reply is None:
        log("%s %s -> (no answer: TIMEOUT)" % ("udp" if udp else "tcp", qdesc))
        return None
    payload = edns_payload(request)
    if payload is not None:
        reply.add_ar(EDNS0(udp_len=4096))
    wire = reply.pack()
    limit = payload or UDP_PLAIN_MAX
    if udp and len(wire) > limit:
        trunc = DNSRecord(DNSHeader(id=reply.header.id, qr=1, aa=1, tc=1,
                                    rd=reply.header.rd, ra=0,
                                    rcode=reply.header.rcode), q=request.q)
        if payload is not None:
            trunc.add_ar(EDNS0(udp_len=4096))
        wire = trunc.pack()
        log("udp %s -> truncated (%d > %d bytes)" % (qdesc, len(reply.pack()), limit))
    else:
        log("%s %s -> %s, %d answer(s)" % ("udp" if udp else "tcp", qdesc,
                                           RCODE.get(reply.header.rcode),
                                           len(reply.rr)))
    return wire


class UDPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        wire = build_wire(self.server.zone, data, udp=True)
        delay = delay_of(self.server.zone, data)
        if delay > 0:
            time.sleep(delay)  # one thread per datagram: holds up no one else
        if wire is not None:
            try:
                sock.sendto(wire, self.client_address)
            except OSError:
                pass  # stopped while a DELAY ran


class TCPHandler(socketserver.BaseRequestHandler):
    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.request.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def _send(self, wire, delay=0.0):
        if delay > 0:
            time.sleep(delay)
        with self.send_lock:
            try:
                self.request.sendall(struct.pack("!H", len(wire)) + wire)
            except OSError:
                pass

    def handle(self):
        self.request.settimeout(TCP_IDLE_SECONDS)
        self.send_lock = threading.Lock()
        try:
            for _ in range(1000):  # bounded: queries per connection
                hdr = self._recv_exact(2)
                if hdr is None:
                    return
                (length,) = struct.unpack("!H", hdr)
                data = self._recv_exact(length)
                if data is None:
                    return
                wire = build_wire(self.server.zone, data, udp=False)
                if wire is None:
                    continue  # TIMEOUT: say nothing, keep the connection
                delay = delay_of(self.server.zone, data)
                if delay > 0:  # answer later, keep reading queries meanwhile
                    threading.Thread(target=self._send, args=(wire, delay),
                                     daemon=True).start()
                else:
                    self._send(wire)
        except (socket.timeout, ConnectionError, OSError):
            return


class UDPServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True
    allow_reuse_address = True


class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def parse_listen(spec):
    spec = spec.strip()
    if spec.startswith("["):
        host, _, port = spec[1:].partition("]:")
    else:
        host, _, port = spec.rpartition(":")
    if not host or not port:
        raise ValueError("--listen wants ADDR:PORT or [ADDR]:PORT, got %r" % spec)
    addr = ipaddress.ip_address(host)
    if not addr.is_loopback:
        raise ValueError("--listen: %s is not a loopback address" % host)
    return str(addr), int(port), addr.version


def open_pair(host, port, version, zone):
    """UDP + TCP servers on the same (host, port); port 0 picks one free for both."""
    family = socket.AF_INET6 if version == 6 else socket.AF_INET
    for _ in range(50):  # bounded retries when the TCP side of a port is taken
        udp_cls = type("U", (UDPServer,), {"address_family": family})
        tcp_cls = type("T", (TCPServer,), {"address_family": family})
        udp = udp_cls((host, port), UDPHandler)
        chosen = udp.server_address[1]
        try:
            tcp = tcp_cls((host, chosen), TCPHandler)
        except OSError:
            udp.server_close()
            if port != 0:
                raise
            continue
        udp.zone = zone
        tcp.zone = zone
        return udp, tcp, chosen
    raise OSError("no free port for UDP and TCP on %s" % host)


def main():
    global VERBOSE, QUERY_LOG
    ap = argparse.ArgumentParser(description="YAML-zone DNS server for tests (loopback only)")
    ap.add_argument("--zone", action="append", required=True, help="YAML zone file (repeatable)")
    ap.add_argument("--listen", action="append", help="ADDR:PORT (repeatable; default 127.0.0.1:0)")
    ap.add_argument("--port-file", help="write the chosen port(s) here once listening")
    ap.add_argument("--query-log", help="append \"NAME TYPE PROTO\" per query received")
    ap.add_argument("--verbose", "-v", action="store_true", help="log each query to stderr")
    args = ap.parse_args()
    VERBOSE = args.verbose

    zone = Zone()
    try:
        for z in args.zone:
            zone.load(z)
    except (OSError, ValueError, yaml.YAMLError) as e:
        sys.stderr.write("dnsserver: %s\n" % e)
        return 1

    if args.query_log:
        try:
            QUERY_LOG = open(args.query_log, "a")
        except OSError as e:
            sys.stderr.write("dnsserver: %s\n" % e)
            return 1

    servers = []
    ports = []
    try:
        for spec in args.listen or ["127.0.0.1:0"]:
            host, port, version = parse_listen(spec)
            udp, tcp, chosen = open_pair(host, port, version, zone)
            servers += [udp, tcp]
            ports.append(chosen)
            log("listening on %s port %d (udp+tcp)" % (host, chosen))
    except (OSError, ValueError) as e:
        sys.stderr.write("dnsserver: %s\n" % e)
        for s in servers:
            s.server_close()
        return 1

    threads = []
    for s in servers:
        t = threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        t.start()
        threads.append(t)

    if args.port_file:
        tmp = "%s.tmp.%d" % (args.port_file, os.getpid())
        with open(tmp, "w") as f:
            f.write("".join("%d\n" % p for p in ports))
        os.rename(tmp, args.port_file)

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while not stop.is_set():
        stop.wait(1.0)
    for s in servers:
        s.shutdown()
        s.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
