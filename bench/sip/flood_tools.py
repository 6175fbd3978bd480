#!/usr/bin/env python3
"""Attackers and measuring tools for bench/sip/flood.sh (standard library only).

Every attacker binds its own loopback address, sends only to the --target it
is given (flood.sh passes the hotline's 127.0.0.1 SIP port), stops by itself
(a packet or guess count and a duration, whichever comes first) and writes a
JSON summary with what it sent and what it received on its own sockets:

  noack     INVITEs that are never ACKed and never followed by RTP (what a
            spoofed source would look like to the hotline); counts the SIP
            and the RTP that come back to the address
  register  REGISTER guessing: REGISTER, 401, REGISTER with a digest computed
            from a wrong password, for a list of users
  garbage   random bytes, truncated SIP, a too-short body, oversize SIP and
            64 KiB datagrams, as fast as it can (or at --pps)
  tcp       many TCP connections from one address, an OPTIONS on each;
            counts served / refused, cycles until the duration is over
  sink      counts datagrams arriving on ports (the RTP port a SIPp
            attacker's SDP points at)

and two that measure:

  monitor   a process's CPU (utime+stime) and peak RSS over a phase, and the
            whole machine's busy share
  report    reads the phase directories flood.sh filled and prints the tables
"""
import argparse
import hashlib
import ipaddress
import json
import os
import random
import re
import selectors
import socket
import sys
import time

# ---------------------------------------------------------------- helpers


def loopback_only(addr):
    ip = ipaddress.ip_address(addr)
    if not ip.is_loopback or ip.version != 4:
        sys.exit(f"refusing {addr}: only 127.0.0.0/8 is allowed")
    return addr


def target_arg(s):
    host, port = s.rsplit(":", 1)
    return (loopback_only(host), int(port))


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)


class Counter:
    def __init__(self):
        self.sent_packets = self.sent_bytes = 0
        self.recv_packets = self.recv_bytes = 0

    def sent(self, n):
        self.sent_packets += 1
        self.sent_bytes += n

    def recv(self, n):
        self.recv_packets += 1
        self.recv_bytes += n

    def as_dict(self):
        return {
            "sent_packets": self.sent_packets,
            "sent_bytes": self.sent_bytes,
            "recv_packets": self.recv_packets,
            "recv_bytes": self.recv_bytes,
        }


def status_code(data):
    m = re.match(rb"SIP/2\.0 (\d{3})", data)
    return m.group(1).decode() if m else None


def header(data, name):
    m = re.search(rb"(?im)^" + re.escape(name.encode()) + rb"\s*:\s*(.*?)\r?$", data)
    return m.group(1).decode(errors="replace") if m else None


def drain(sock, counter, on_message=None):
    while True:
        try:
            data, _ = sock.recvfrom(70000)
        except (BlockingIOError, InterruptedError):
            return
        except ConnectionRefusedError:
            continue
        counter.recv(len(data))
        if on_message:
            on_message(data)


def udp_socket(bind_ip, port=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    s.bind((bind_ip, port))
    s.setblocking(False)
    return s


# ---------------------------------------------------------------- sink


def cmd_sink(a):
    bind = loopback_only(a.bind)
    sel = selectors.DefaultSelector()
    counters = {}
    for p in a.ports:
        s = udp_socket(bind, p)
        counters[p] = Counter()
        sel.register(s, selectors.EVENT_READ, p)
    end = time.monotonic() + a.duration
    first = last = None
    while (now := time.monotonic()) < end:
        for key, _ in sel.select(timeout=min(0.5, end - now)):
            before = counters[key.data].recv_packets
            drain(key.fileobj, counters[key.data])
            if counters[key.data].recv_packets > before:
                t = time.monotonic()
                first = first or t
                last = t
    write_json(a.out, {
        "tool": "sink", "bind": bind,
        "ports": {str(p): c.as_dict() for p, c in counters.items()},
        "recv_packets": sum(c.recv_packets for c in counters.values()),
        "recv_bytes": sum(c.recv_bytes for c in counters.values()),
        "active_secs": round((last - first), 1) if first else 0,
    })


# ---------------------------------------------------------------- noack

SDP = ("v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
       "m=audio {rtp} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
       "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")


def invite(ip, port, target, n, rtp, number):
    body = SDP.format(ip=ip, rtp=rtp)
    branch = f"z9hG4bK-noack-{os.getpid()}-{n}"
    return (
        f"INVITE sip:{number}@{target[0]}:{target[1]} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {ip}:{port};branch={branch};rport\r\n"
        f"Max-Forwards: 70\r\n"
        f"From: <sip:caller{n}@{ip}>;tag=t{n}\r\n"
        f"To: <sip:{number}@{target[0]}>\r\n"
        f"Call-ID: noack-{os.getpid()}-{n}@{ip}\r\n"
        f"CSeq: 1 INVITE\r\n"
        f"Contact: <sip:caller{n}@{ip}:{port}>\r\n"
        f"Content-Type: application/sdp\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


def cmd_noack(a):
    bind = loopback_only(a.bind)
    sip = udp_socket(bind, a.port)
    rtp_socks = [udp_socket(bind, a.rtp_port), udp_socket(bind, a.rtp_port + 1)]
    sip_c, rtp_c = Counter(), Counter()
    codes = {}

    def on_sip(data):
        c = status_code(data) or data.split(b" ", 1)[0].decode(errors="replace")
        codes[c] = codes.get(c, 0) + 1
        if c == "BYE":
            # Answering the hotline's BYE would be an ACK-like courtesy a
            # spoofed source cannot give: stay silent, just count.
            pass

    sel = selectors.DefaultSelector()
    sel.register(sip, selectors.EVENT_READ, "sip")
    for s in rtp_socks:
        sel.register(s, selectors.EVENT_READ, "rtp")
    start = time.monotonic()
    send_end = start + a.send_secs
    end = start + a.duration
    sent = 0
    interval = 1.0 / a.rate
    next_send = start
    while (now := time.monotonic()) < end:
        if sent < a.count and now < send_end and now >= next_send:
            msg = invite(bind, a.port, a.target, sent, a.rtp_port, a.number)
            try:
                sip.sendto(msg, a.target)
                sip_c.sent(len(msg))
            except (BlockingIOError, ConnectionRefusedError):
                pass
            sent += 1
            next_send += interval
            continue
        wait = max(0.0, min(0.2, end - now, next_send - now if sent < a.count and now < send_end else 0.2))
        for key, _ in sel.select(timeout=wait):
            if key.data == "sip":
                drain(key.fileobj, sip_c, on_sip)
            else:
                drain(key.fileobj, rtp_c)
    write_json(a.out, {
        "tool": "noack", "bind": bind, "invites": sent,
        "sip": sip_c.as_dict(), "rtp": rtp_c.as_dict(), "responses": codes,
        "sent_packets": sip_c.sent_packets, "sent_bytes": sip_c.sent_bytes,
        "recv_packets": sip_c.recv_packets + rtp_c.recv_packets,
        "recv_bytes": sip_c.recv_bytes + rtp_c.recv_bytes,
    })


# ---------------------------------------------------------------- register


def register_msg(ip, port, target, user, call_id, cseq, branch, auth=None):
    uri = f"sip:{target[0]}:{target[1]}"
    lines = [
        f"REGISTER {uri} SIP/2.0",
        f"Via: SIP/2.0/UDP {ip}:{port};branch={branch};rport",
        "Max-Forwards: 70",
        f"From: <sip:{user}@{target[0]}>;tag=r{call_id[-8:]}",
        f"To: <sip:{user}@{target[0]}>",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} REGISTER",
        f"Contact: <sip:{user}@{ip}:{port}>",
        "Expires: 3600",
        "User-Agent: Generic SIP phone 1.0",
    ]
    if auth:
        lines.append(f"Authorization: {auth}")
    lines += ["Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode(), uri


def digest(user, realm, password, nonce, uri, algorithm, cnonce, nc="00000001"):
    h = hashlib.sha256 if algorithm.upper().startswith("SHA-256") else hashlib.md5
    ha1 = h(f"{user}:{realm}:{password}".encode()).hexdigest()
    ha2 = h(f"REGISTER:{uri}".encode()).hexdigest()
    resp = h(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}".encode()).hexdigest()
    return (f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
            f'response="{resp}", algorithm={algorithm}, qop=auth, nc={nc}, cnonce="{cnonce}"')


PASSWORDS = ["123456", "password", "admin", "1234", "hotline", "agent", "secret", "changeme",
             "agent1", "12345678", "qwerty", "letmein"]


def cmd_register(a):
    bind = loopback_only(a.bind)
    s = udp_socket(bind, a.port)
    c = Counter()
    codes = {}
    pending = {}  # call-id -> (user, request size)
    worst = {"ratio": 0.0}
    stats = {"guesses": 0, "answers_sent": 0, "challenges": 0}

    def on_msg(data):
        code = status_code(data)
        codes[code or "?"] = codes.get(code or "?", 0) + 1
        cid = header(data, "Call-ID")
        if cid not in pending:
            return
        user, req_len, step = pending[cid]
        ratio = len(data) / req_len
        if ratio > worst["ratio"]:
            worst.update(ratio=round(ratio, 3), response=code, response_bytes=len(data),
                         request_bytes=req_len, step=step)
        if code == "401" and step == 1:
            stats["challenges"] += 1
            chal = header(data, "WWW-Authenticate") or ""
            nonce = re.search(r'nonce="([^"]+)"', chal)
            realm = re.search(r'realm="([^"]+)"', chal)
            alg = re.search(r"algorithm=([A-Za-z0-9-]+)", chal)
            if not nonce:
                return
            password = random.choice(PASSWORDS) + str(random.randint(0, 99))
            cnonce = "%016x" % random.getrandbits(64)
            _, uri = register_msg(bind, a.port, a.target, user, cid, 2, "x")
            auth = digest(user, realm.group(1) if realm else "hotline", password, nonce.group(1),
                          uri, alg.group(1) if alg else "MD5", cnonce)
            msg, _ = register_msg(bind, a.port, a.target, user, cid, 2,
                                  f"z9hG4bK-{random.getrandbits(48):x}", auth)
            try:
                s.sendto(msg, a.target)
                c.sent(len(msg))
                stats["answers_sent"] += 1
                pending[cid] = (user, len(msg), 2)
            except BlockingIOError:
                pass
        else:
            pending.pop(cid, None)

    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ)
    start = time.monotonic()
    send_end = start + a.send_secs
    end = start + a.duration
    interval = 1.0 / a.rate
    next_send = start
    users = a.users.split(",")
    while (now := time.monotonic()) < end:
        if stats["guesses"] < a.count and now < send_end and now >= next_send:
            n = stats["guesses"]
            user = users[n % len(users)]
            cid = f"reg-{os.getpid()}-{n}@{bind}"
            msg, _ = register_msg(bind, a.port, a.target, user, cid, 1,
                                  f"z9hG4bK-{random.getrandbits(48):x}")
            try:
                s.sendto(msg, a.target)
                c.sent(len(msg))
                pending[cid] = (user, len(msg), 1)
            except BlockingIOError:
                pass
            stats["guesses"] += 1
            next_send += interval
            if len(pending) > 50000:
                pending.clear()
            continue
        wait = max(0.0, min(0.2, end - now))
        if stats["guesses"] < a.count and now < send_end:
            wait = max(0.0, min(wait, next_send - now))
        for key, _ in sel.select(timeout=wait):
            drain(key.fileobj, c, on_msg)
    out = {"tool": "register", "bind": bind, "users": users, "responses": codes,
           "worst_exchange": worst, **stats, **c.as_dict()}
    write_json(a.out, out)


# ---------------------------------------------------------------- garbage


def garbage_kinds(bind, port, target):
    base = invite(bind, port, target, 0, 7010, "12345")

    def random_small():
        return os.urandom(random.randint(1, 1400))

    def truncated_sip():
        return base[: random.randint(1, len(base) - 1)]

    def short_body():
        return base.replace(b"Content-Length: ", b"Content-Length: 9") + b""

    def oversize_sip():
        pad = b"X-Pad: " + b"a" * 17000 + b"\r\n"
        return base.replace(b"Max-Forwards: 70\r\n", b"Max-Forwards: 70\r\n" + pad)

    def datagram_64k():
        return random.randbytes(65507) if hasattr(random, "randbytes") else os.urandom(65507)

    def bad_header():
        return base.replace(b"CSeq: 1 INVITE", b"CSeq: \xff\xfe INVITE \x00")

    # The weights: mostly small packets (packet rate), some 64 KiB (bytes).
    return [("random_small", random_small, 40), ("truncated_sip", truncated_sip, 25),
            ("short_body", short_body, 10), ("bad_header", bad_header, 10),
            ("oversize_sip", oversize_sip, 10), ("datagram_64k", datagram_64k, 5)]


def cmd_garbage(a):
    bind = loopback_only(a.bind)
    s = udp_socket(bind, a.port)
    c = Counter()
    kinds = garbage_kinds(bind, a.port, a.target)
    # Pre-build a pool per kind so the loop is sending, not generating.
    pool = []
    for name, make, weight in kinds:
        for _ in range(weight * 4):
            pool.append((name, make()))
    random.shuffle(pool)
    per_kind = {name: [0, 0] for name, _, _ in kinds}
    errors = 0
    start = time.monotonic()
    end = start + a.duration
    i = 0
    interval = 1.0 / a.pps if a.pps > 0 else 0.0
    next_send = start
    while i < a.count:
        if (i & 255) == 0:
            now = time.monotonic()
            if now >= end:
                break
            drain(s, c)
        if interval:
            now = time.monotonic()
            if now < next_send:
                time.sleep(min(next_send - now, 0.01))
                continue
            next_send += interval
        name, data = pool[i % len(pool)]
        i += 1
        try:
            s.sendto(data, a.target)
        except (BlockingIOError, ConnectionRefusedError, OSError):
            errors += 1
            continue
        c.sent(len(data))
        k = per_kind[name]
        k[0] += 1
        k[1] += len(data)
    elapsed = time.monotonic() - start
    # Whatever the hotline answers arrives within a moment.
    linger_end = time.monotonic() + a.linger
    while time.monotonic() < linger_end:
        drain(s, c)
        time.sleep(0.05)
    write_json(a.out, {"tool": "garbage", "bind": bind, "send_errors": errors,
                       "send_secs": round(elapsed, 1),
                       "pps": round(c.sent_packets / elapsed) if elapsed else 0,
                       "per_kind": {k: {"packets": v[0], "bytes": v[1]} for k, v in per_kind.items()},
                       **c.as_dict()})


# ---------------------------------------------------------------- tcp


def options_msg(ip, port, target, n):
    return (f"OPTIONS sip:{target[0]}:{target[1]} SIP/2.0\r\n"
            f"Via: SIP/2.0/TCP {ip}:{port};branch=z9hG4bK-tcp-{os.getpid()}-{n}\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:probe@{ip}>;tag=p{n}\r\n"
            f"To: <sip:{target[0]}>\r\nCall-ID: tcp-{os.getpid()}-{n}@{ip}\r\n"
            f"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()


def cmd_tcp(a):
    bind = loopback_only(a.bind)
    c = Counter()
    cycles = []
    start = time.monotonic()
    end = start + a.duration
    n = 0
    while time.monotonic() < end and len(cycles) < a.max_cycles:
        socks = []
        connect_failed = 0
        for _ in range(a.connections):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            try:
                s.bind((bind, 0))
                s.settimeout(2)
                s.connect(a.target)
                s.setblocking(False)
                socks.append(s)
            except OSError:
                connect_failed += 1
                s.close()
        # One OPTIONS on each connection the kernel accepted.
        for s in socks:
            msg = options_msg(bind, s.getsockname()[1], a.target, n)
            n += 1
            try:
                s.send(msg)
                c.sent(len(msg))
            except OSError:
                pass
        served, closed = set(), set()
        deadline = time.monotonic() + a.probe_secs
        while time.monotonic() < deadline and len(served) + len(closed) < len(socks):
            for s in socks:
                if s in served or s in closed:
                    continue
                try:
                    data = s.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    closed.add(s)
                    continue
                if not data:
                    closed.add(s)
                else:
                    c.recv(len(data))
                    served.add(s)
            time.sleep(0.02)
        # Hold what is open (the slots stay taken), then close all of it.
        hold_end = min(end, time.monotonic() + a.hold_secs)
        while time.monotonic() < hold_end:
            for s in socks:
                if s in closed:
                    continue
                try:
                    data = s.recv(65536)
                    if not data:
                        closed.add(s)
                    else:
                        c.recv(len(data))
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    closed.add(s)
            time.sleep(0.1)
        cycles.append({"attempted": a.connections, "connect_failed": connect_failed,
                       "served": len(served), "closed_unanswered": len(closed - served),
                       "open_unanswered": len(socks) - len(served | closed)})
        for s in socks:
            s.close()
        time.sleep(0.2)
    write_json(a.out, {"tool": "tcp", "bind": bind, "cycles": cycles,
                       "connections": sum(x["attempted"] for x in cycles),
                       "served": sum(x["served"] for x in cycles),
                       "refused_or_closed": sum(x["closed_unanswered"] for x in cycles),
                       **c.as_dict()})


# ---------------------------------------------------------------- monitor


def proc_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)


def proc_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def machine_ticks():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v[:8]), idle


def cmd_monitor(a):
    hz = os.sysconf("SC_CLK_TCK")
    t0 = time.monotonic()
    p0 = proc_ticks(a.pid)
    m0 = machine_ticks()
    peak = proc_rss_kib(a.pid)
    start_rss = peak
    series = []
    last_t, last_p = t0, p0
    end = t0 + a.duration
    stop_file = a.stop_file
    while time.monotonic() < end and not (stop_file and os.path.exists(stop_file)):
        time.sleep(a.interval)
        try:
            rss = proc_rss_kib(a.pid)
            p = proc_ticks(a.pid)
        except FileNotFoundError:
            break
        now = time.monotonic()
        peak = max(peak, rss)
        series.append([round(now - t0, 1), round((p - last_p) / hz / (now - last_t) * 100, 1), rss])
        last_t, last_p = now, p
    t1 = time.monotonic()
    p1 = proc_ticks(a.pid)
    m1 = machine_ticks()
    total, idle = m1[0] - m0[0], m1[1] - m0[1]
    write_json(a.out, {
        "secs": round(t1 - t0, 1),
        "cpu_percent_of_one_core": round((p1 - p0) / hz / (t1 - t0) * 100, 1),
        "machine_busy_percent_of_all_cores": round((1 - idle / total) * 100, 1) if total else None,
        "rss_start_kib": start_rss, "rss_peak_kib": peak, "series": series,
    })


# ---------------------------------------------------------------- report


def sipp_stat(path):
    rows = [l.rstrip("\n").split(";") for l in open(path) if l.strip()]
    head, last = rows[0], rows[-1]

    def get(k, default=None):
        return last[head.index(k)] if k in head else default
    return {
        "successful": int(get("SuccessfulCall(C)", 0)),
        "failed": int(get("FailedCall(C)", 0)),
        "created": int(get("TotalCallCreated", 0)),
        "retransmissions": int(get("Retransmissions(C)", 0)),
        "rt_ms": get("ResponseTime1(C)"),
        "rt_stdev_ms": get("ResponseTime1StDev(C)"),
        "timeouts": int(get("FailedMaxUDPRetrans(C)", 0)) + int(get("FailedTimeoutOnRecv(C)", 0)),
        "failed_unexpected": int(get("FailedUnexpectedMessage(C)", 0)),
        "rows": rows, "head": head,
    }


def hms_to_ms(s):
    """SIPp's HH:MM:SS:uuuuuu (its resolution is 1 ms)."""
    if not s:
        return None
    h, m, sec, us = (s.split(":") + ["0"])[:4]
    return (int(h) * 3600 + int(m) * 60 + int(sec)) * 1000 + int(us) / 1000


MSG_RE = re.compile(rb"message (sent|received) [\[(](\d+)\]? bytes")


def sipp_msglog(path):
    sent = [0, 0]
    recv = [0, 0]
    codes = {}
    with open(path, "rb") as f:
        expect_first = None
        for line in f:
            m = MSG_RE.search(line)
            if m:
                d = sent if m.group(1) == b"sent" else recv
                d[0] += 1
                d[1] += int(m.group(2))
                expect_first = m.group(1)
                continue
            if expect_first is not None and line.strip():
                first = line.strip()
                if expect_first == b"received":
                    code = status_code(first) or first.split(b" ", 1)[0].decode(errors="replace")
                    codes[code] = codes.get(code, 0) + 1
                expect_first = None
    return {"sent_packets": sent[0], "sent_bytes": sent[1], "recv_packets": recv[0],
            "recv_bytes": recv[1], "responses": codes}


COUNTERS = ["hotline_sip_rate_limited_total", "hotline_sip_auth_failures_total",
            "hotline_sip_source_call_limit_rejections_total",
            "hotline_sip_overload_rejections_total", "hotline_sip_tcp_refused_total"]


def all_counters(path):
    out = {}
    try:
        text = open(path).read()
    except FileNotFoundError:
        return out
    for line in text.splitlines():
        m = re.match(r"(hotline_sip_[a-z_]*_total)(\{[^}]*\})?\s+([0-9.eE+-]+)", line)
        if m:
            out[m.group(1)] = out.get(m.group(1), 0) + int(float(m.group(3)))
    return out


def legit_errors(path):
    """What SIPp's -trace_err log says about the legitimate calls: why calls
    were aborted (the response that aborted them), and the calls that after
    the abort still got a 180/200 with another To-tag (two final answers to
    one INVITE)."""
    try:
        text = open(path, errors="replace").read()
    except FileNotFoundError:
        return {}
    out = {}
    aborted, late = {}, {}
    for e in re.split(r"\n?'?(?=\d{4}-\d\d-\d\d\t)", text):
        tag = re.search(r"^To: .*?tag=([\w.-]+)", e, re.M)
        tag = tag.group(1) if tag else None
        m = re.search(r"Call-Id '([^']*)': while expecting '(\w+)'.*?received '([^\r\n]*)", e)
        if m:
            aborted[m.group(1)] = tag
            key = f"aborted while expecting {m.group(2)}: got {m.group(3)}"
        else:
            m = re.search(r"Dead call (\S+) \(([^)]*)\), received '([^\r\n]*)", e)
            if m:
                late.setdefault(m.group(1), set()).add(tag)
                key = f"after the call ended ({re.sub(r'[0-9]+', 'N', m.group(2))}): {m.group(3)}"
            else:
                m = re.search(r"\t[\d.]+: ([^\n]{0,100})", e)
                if not m:
                    continue
                key = re.sub(r"[0-9]+", "N", m.group(1))
        out[key] = out.get(key, 0) + 1
    two = sum(1 for c, t in aborted.items() if c in late and any(x != t for x in late[c]))
    if two:
        out[f"calls refused and then answered with another To-tag (of {len(aborted)} aborted)"] = two
    return out


def fmt_int(n):
    return f"{n:,}"


def bucket_share(st, calls):
    """Shares of the response-time repartition: < 10 ms, < 50 ms, >= 200 ms."""
    head, last = st["head"], st["rows"][-1]
    def col(k):
        return int(last[head.index(k)]) if k in head else 0
    lt10 = col("ResponseTimeRepartition1_<10")
    lt50 = lt10 + sum(col(f"ResponseTimeRepartition1_<{x}") for x in (20, 30, 40, 50))
    ge200 = col("ResponseTimeRepartition1_>=200")
    n = lt50 + sum(col(f"ResponseTimeRepartition1_<{x}") for x in (100, 150, 200)) + ge200
    if not n:
        return "-"
    return f"{lt10 / n * 100:.1f} / {lt50 / n * 100:.1f} / {ge200 / n * 100:.1f}"


def cmd_report(a):
    calls = a.calls
    phases = {}
    for name in ("reference", "flood"):
        d = os.path.join(a.work, name)
        if not os.path.exists(os.path.join(d, "legit.csv")):
            continue
        st = sipp_stat(os.path.join(d, "legit.csv"))
        mon = json.load(open(os.path.join(d, "monitor.json")))
        gen = None
        if os.path.exists(os.path.join(d, "generators_cpu.txt")):
            gen = float(open(os.path.join(d, "generators_cpu.txt")).read().strip())
        phases[name] = (st, mon, d, gen)
    print()
    print("== legitimate calls (trusted trunk 127.0.0.1, %s calls at %s/s, %s ms each)" % (
        fmt_int(calls), a.rate, a.hold_ms))
    print("phase      completed failed  failure  SIPp retr.  INVITE->200 avg ms, % <10 / <50 / >=200 ms"
          "   hotline CPU   peak RSS   load gens CPU  machine busy")
    for name, (st, mon, _, gen) in phases.items():
        ok = st["successful"]
        failed = calls - ok
        rt = hms_to_ms(st["rt_ms"])
        cpu = mon["cpu_percent_of_one_core"]
        print(f"{name:10} {ok:>9,} {failed:>6,} {failed / calls * 100:7.2f} % {st['retransmissions']:>10,}  "
              f"{(f'{rt:.0f}' if rt is not None else '-'):>6}, {bucket_share(st, calls):>20}            "
              f"{cpu:6.1f} %  {mon['rss_peak_kib'] / 1024:6.1f} MiB  "
              f"{(f'{gen:.0f} %' if gen is not None else '-'):>12}  {mon['machine_busy_percent_of_all_cores']:8.1f} %")
    if "reference" in phases and "flood" in phases:
        r, f = phases["reference"], phases["flood"]
        rc, fc = r[1]["cpu_percent_of_one_core"], f[1]["cpu_percent_of_one_core"]
        rf = (calls - r[0]["successful"]) / calls * 100
        ff = (calls - f[0]["successful"]) / calls * 100
        print(f"flood vs reference: failure rate {ff:.2f} % vs {rf:.2f} %; hotline CPU {fc / rc:.2f}x; "
              f"peak RSS {f[1]['rss_peak_kib'] / r[1]['rss_peak_kib']:.2f}x")
    for name, (_, _, d, _) in phases.items():
        errs = legit_errors(os.path.join(d, "legit_errors.log"))
        if errs:
            print(f"   {name}: failed legitimate calls, from SIPp's error log:")
            for k, v in sorted(errs.items(), key=lambda kv: -kv[1])[:6]:
                print(f"      {v:>6,} x {k}")
    if "flood" not in phases:
        return
    d = phases["flood"][2]
    print()
    print("== attackers (counted on their own sockets: 'back' = what reached the attacker's address)")
    print(f"{'attack':24} {'address':11} {'sent pkts':>10} {'sent bytes':>13} {'SIP back':>9} {'SIP bytes back':>14}"
          f" {'RTP back':>9} {'RTP bytes':>11} {'SIP ratio':>9} {'all ratio':>9}  notes")
    rows = []
    for fname in sorted(os.listdir(d)):
        if fname.startswith("attack-") and fname.endswith(".json"):
            rows.append(json.load(open(os.path.join(d, fname))))
    worst = (-1.0, "")
    worst_sip = (-1.0, "")
    for r in rows:
        rtp = r.get("rtp", {"recv_packets": 0, "recv_bytes": 0})
        sip_p = r["recv_packets"] - rtp["recv_packets"]
        sip_b = r["recv_bytes"] - rtp["recv_bytes"]
        ratio = r["recv_bytes"] / r["sent_bytes"] if r["sent_bytes"] else 0.0
        sratio = sip_b / r["sent_bytes"] if r["sent_bytes"] else 0.0
        worst = max(worst, (ratio, r["label"]))
        worst_sip = max(worst_sip, (sratio, r["label"]))
        print(f"{r['label']:24} {r['bind']:11} {r['sent_packets']:>10,} {r['sent_bytes']:>13,} {sip_p:>9,} {sip_b:>14,}"
              f" {rtp['recv_packets']:>9,} {rtp['recv_bytes']:>11,} {sratio:>9.3f} {ratio:>9.3f}  {r.get('notes', '')}")
    # Amplification is what a forged source can aim at a third party: every
    # SIP byte sent back, and RTP to an address that never confirmed a call.
    # The never-ACKing attacker stands for the forged source; RTP that the
    # SIPp attackers get is the IVR's audio on calls they answered with an
    # ACK from their own address (a call, not a reflection), shown apart.
    unconfirmed_rtp = sum(r.get("rtp", {"recv_bytes": 0})["recv_bytes"]
                          for r in rows if "never-acked" in r["label"])
    amplified = worst_sip[0] > 1 or unconfirmed_rtp > 0
    print(f"highest ratio, SIP only: {worst_sip[0]:.3f} ({worst_sip[1]}); RTP to an address that never ACKed: "
          f"{unconfirmed_rtp:,} B; with the IVR audio of ACKed calls: {worst[0]:.3f} ({worst[1]}) -> "
          + ("AMPLIFIED (SIP bytes back > bytes sent, or RTP to an unconfirmed address)" if amplified
             else "nothing amplified"))
    print()
    m = all_counters(os.path.join(a.work, "metrics-after-reference.txt"))
    m2 = all_counters(os.path.join(a.work, "metrics-after-flood.txt"))
    print("== hotline /metrics counters (asked for first)     after reference   after flood    flood only")
    for k in COUNTERS + sorted(set(m2) - set(COUNTERS)):
        print(f"{k:50} {m.get(k, 0):>14,} {m2.get(k, 0):>13,} {m2.get(k, 0) - m.get(k, 0):>13,}")


# ---------------------------------------------------------------- attacker summaries for SIPp


def cmd_sipp_summary(a):
    """One attacker JSON from a SIPp run: its stat CSV, its message log and
    the sinks that counted what reached its address besides SIPp's socket
    (the RTP port its SDP named; its SIP port once SIPp had exited)."""
    out = {"tool": "sipp", "bind": a.bind, "label": a.label}
    s = sipp_msglog(a.msglog) if os.path.exists(a.msglog) else {
        "sent_packets": 0, "sent_bytes": 0, "recv_packets": 0, "recv_bytes": 0, "responses": {}}
    codes = s.pop("responses")
    out.update(s)
    out["responses"] = codes
    notes = []
    if os.path.exists(a.stat):
        st = sipp_stat(a.stat)
        out["calls"] = {k: st[k] for k in ("successful", "failed", "created", "retransmissions")}
        notes.append(f"calls ok {st['successful']:,}, failed {st['failed']:,}")
    for name, path in (("rtp", a.rtp_sink), ("sip_after_exit", a.tail_sink)):
        if path and os.path.exists(path):
            sink = json.load(open(path))
            out[name] = {"recv_packets": sink["recv_packets"], "recv_bytes": sink["recv_bytes"]}
            out["recv_packets"] += sink["recv_packets"]
            out["recv_bytes"] += sink["recv_bytes"]
    if "rtp" in out:
        notes.append(f"RTP in {out['rtp']['recv_packets']:,} pkts {out['rtp']['recv_bytes']:,} B")
    if "sip_after_exit" in out:
        notes.append(f"after SIPp exited {out['sip_after_exit']['recv_packets']:,} pkts")
    top = sorted(codes.items(), key=lambda kv: -kv[1])[:5]
    notes.append("SIP in: " + ", ".join(f"{k}×{v:,}" for k, v in top))
    out["notes"] = "; ".join(notes)
    write_json(a.out, out)


def cmd_label(a):
    """Adds a label and a notes line to one of this script's own JSON files."""
    info = json.load(open(a.file))
    info["label"] = a.label
    t = info.get("tool")
    if t == "noack":
        info["notes"] = (f"{info['invites']:,} INVITEs; SIP in {info['sip']['recv_packets']:,} pkts "
                         f"{info['sip']['recv_bytes']:,} B, RTP in {info['rtp']['recv_packets']:,} pkts "
                         f"{info['rtp']['recv_bytes']:,} B; in: "
                         + ", ".join(f"{k}×{v:,}" for k, v in sorted(info["responses"].items(), key=lambda kv: -kv[1])))
    elif t == "register":
        info["notes"] = (f"{info['guesses']:,} guesses, {info['answers_sent']:,} digests sent; in: "
                         + ", ".join(f"{k}×{v:,}" for k, v in sorted(info["responses"].items(), key=lambda kv: -kv[1]))
                         + f"; worst single exchange {info['worst_exchange'].get('ratio', 0)}"
                         + f" ({info['worst_exchange'].get('response', '-')} to step {info['worst_exchange'].get('step', '-')})")
    elif t == "garbage":
        info["notes"] = f"{info['pps']:,} datagrams/s for {info['send_secs']} s"
    elif t == "tcp":
        cyc = info["cycles"]
        info["notes"] = (f"{len(cyc)} cycles of {cyc[0]['attempted'] if cyc else 0} connections: served "
                         + "/".join(str(x["served"]) for x in cyc) + ", refused "
                         + "/".join(str(x["closed_unanswered"]) for x in cyc))
    write_json(a.file, info)


# ---------------------------------------------------------------- main


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("sink")
    s.add_argument("--bind", required=True)
    s.add_argument("--ports", type=lambda v: [int(x) for x in v.split(",")], required=True)
    s.add_argument("--duration", type=float, required=True)
    s.add_argument("--out", required=True)

    s = sub.add_parser("noack")
    s.add_argument("--bind", required=True)
    s.add_argument("--port", type=int, default=5200)
    s.add_argument("--rtp-port", type=int, default=7010)
    s.add_argument("--target", type=target_arg, required=True)
    s.add_argument("--number", default="12345")
    s.add_argument("--rate", type=float, default=20)
    s.add_argument("--count", type=int, default=400)
    s.add_argument("--send-secs", type=float, default=20)
    s.add_argument("--duration", type=float, required=True)
    s.add_argument("--out", required=True)

    s = sub.add_parser("register")
    s.add_argument("--bind", required=True)
    s.add_argument("--port", type=int, default=5200)
    s.add_argument("--target", type=target_arg, required=True)
    s.add_argument("--users", default="agent1,agent2,admin,100,1000")
    s.add_argument("--rate", type=float, default=200)
    s.add_argument("--count", type=int, default=20000)
    s.add_argument("--send-secs", type=float, default=55)
    s.add_argument("--duration", type=float, required=True)
    s.add_argument("--out", required=True)

    s = sub.add_parser("garbage")
    s.add_argument("--bind", required=True)
    s.add_argument("--port", type=int, default=5200)
    s.add_argument("--target", type=target_arg, required=True)
    s.add_argument("--pps", type=float, default=0, help="0: as fast as it can")
    s.add_argument("--count", type=int, default=20_000_000)
    s.add_argument("--duration", type=float, required=True)
    s.add_argument("--linger", type=float, default=2)
    s.add_argument("--out", required=True)

    s = sub.add_parser("tcp")
    s.add_argument("--bind", required=True)
    s.add_argument("--target", type=target_arg, required=True)
    s.add_argument("--connections", type=int, default=200)
    s.add_argument("--probe-secs", type=float, default=2)
    s.add_argument("--hold-secs", type=float, default=5)
    s.add_argument("--max-cycles", type=int, default=20)
    s.add_argument("--duration", type=float, required=True)
    s.add_argument("--out", required=True)

    s = sub.add_parser("monitor")
    s.add_argument("--pid", type=int, required=True)
    s.add_argument("--duration", type=float, required=True)
    s.add_argument("--interval", type=float, default=1.0)
    s.add_argument("--stop-file")
    s.add_argument("--out", required=True)

    s = sub.add_parser("report")
    s.add_argument("--work", required=True)
    s.add_argument("--calls", type=int, required=True)
    s.add_argument("--rate", required=True)
    s.add_argument("--hold-ms", required=True)

    s = sub.add_parser("sipp-summary")
    s.add_argument("--msglog", required=True)
    s.add_argument("--stat", required=True)
    s.add_argument("--bind", required=True)
    s.add_argument("--label", required=True)
    s.add_argument("--rtp-sink")
    s.add_argument("--tail-sink")
    s.add_argument("--out", required=True)

    s = sub.add_parser("label")
    s.add_argument("--file", required=True)
    s.add_argument("--label", required=True)

    a = p.parse_args()
    {"sink": cmd_sink, "noack": cmd_noack, "register": cmd_register, "garbage": cmd_garbage,
     "tcp": cmd_tcp, "monitor": cmd_monitor, "report": cmd_report,
     "sipp-summary": cmd_sipp_summary, "label": cmd_label}[a.cmd](a)


if __name__ == "__main__":
    main()
