#!/usr/bin/env python3
"""http_fake.py — a local HTTP/1.1 server for the http_client tests.

Binds 127.0.0.1 on a free port (port 0), prints the port on stdout and, with
--port-file F, writes it to F (atomically, via a rename) once it listens.
Exits on SIGTERM, or by itself when its parent process goes away, so a
crashed test leaves nothing behind.

Routes (query parameters in brackets):
  /echo                   200 JSON {method, path, query, headers, body, body_len}
  /delay [ms]             sleeps ms, then 200 JSON {"slept_ms": ms}
  /status [code]          answers code with a JSON error body
  /ratelimit [key, n=1, ra=1]
                          the first n requests for key get 429 with
                          Retry-After: ra (seconds or an HTTP-date as given);
                          then 200 JSON {"count": requests seen for key}
  /retry-ms [key, n=1, ms=100]
                          as /ratelimit with retry-after-ms: ms
  /flaky [key, n=2, code=503]
                          the first n requests for key get code; then 200
  /count [key]            200 JSON {"count": requests seen for key}
  /huge [bytes, chunked=0]
                          200 with bytes of 'x' (Content-Length, or chunked)
  /stream [chunks=5, ms=20, gap_after=-1, gap_ms=0]
                          200 chunked text/event-stream, one SSE event per
                          chunk, ms apart (gap_ms extra before chunk gap_after)
  /stall [headers=0]      never sends the body (with headers=1 it sends the
                          headers first); holds the connection up to 30 s
  /cut                    Content-Length 100000, sends 1000 bytes, closes
  /conc [group, ms=50, seq]
                          counts requests in flight per group, records the
                          maximum and the arrival order of seq; 200 after ms
  /conc-stats [group]     200 JSON {"max": n, "order": [seq...]}
"""
import argparse
import json
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
COUNTS = {}
CONC = {}  # group -> {"now": n, "max": n, "order": [...]}
STOP = threading.Event()


def bump(key):
    with LOCK:
        COUNTS[key] = COUNTS.get(key, 0) + 1
        return COUNTS[key]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "http_fake/1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def q(self, name, default=None):
        v = self.query.get(name)
        return v[0] if v else default

    def qi(self, name, default):
        return int(self.q(name, default))

    def send_json(self, code, obj, extra=None):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if self.headers.get("Transfer-Encoding"):
            # Like lws: we do not take chunked uploads.
            self.send_json(411, {"error": "length required"})
            return None
        return self.rfile.read(n) if n else b""

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def handle_any(self):
        u = urlsplit(self.path)
        self.query = parse_qs(u.query)
        body = self.read_body()
        if body is None:
            return
        route = getattr(self, "r_" + u.path.strip("/").replace("-", "_"), None)
        if not route:
            self.send_json(404, {"error": "no route " + u.path})
            return
        route(u, body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def r_echo(self, u, body):
        self.send_json(200, {
            "method": self.command,
            "path": u.path,
            "query": u.query,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
            "body_len": len(body),
        })

    def r_delay(self, u, body):
        ms = self.qi("ms", 100)
        time.sleep(ms / 1000.0)
        self.send_json(200, {"slept_ms": ms})

    def r_status(self, u, body):
        code = self.qi("code", 500)
        self.send_json(code, {"error": {"message": "status %d" % code}})

    def limited(self, header, value):
        key = self.q("key", "default")
        n = bump(key)
        if n <= self.qi("n", 1):
            self.send_json(429, {"ok": False, "error": "ratelimited"},
                           {header: value})
        else:
            self.send_json(200, {"count": n})

    def r_ratelimit(self, u, body):
        self.limited("Retry-After", self.q("ra", "1"))

    def r_retry_ms(self, u, body):
        self.limited("retry-after-ms", self.q("ms", "100"))

    def r_flaky(self, u, body):
        key = self.q("key", "default")
        n = bump(key)
        if n <= self.qi("n", 2):
            self.send_json(self.qi("code", 503), {"error": "flaky", "count": n})
        else:
            self.send_json(200, {"count": n})

    def r_count(self, u, body):
        with LOCK:
            n = COUNTS.get(self.q("key", "default"), 0)
        self.send_json(200, {"count": n})

    def r_huge(self, u, body):
        size = self.qi("bytes", 1 << 20)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        block = b"x" * 16384
        if self.qi("chunked", 0):
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            left = size
            try:
                while left > 0:
                    part = block[:min(left, len(block))]
                    self.chunk(part)
                    left -= len(part)
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                self.close_connection = True
            return
        self.send_header("Content-Length", str(size))
        self.end_headers()
        left = size
        try:
            while left > 0:
                part = block[:min(left, len(block))]
                self.wfile.write(part)
                left -= len(part)
        except OSError:
            self.close_connection = True

    def r_stream(self, u, body):
        n = self.qi("chunks", 5)
        ms = self.qi("ms", 20)
        gap_after = self.qi("gap_after", -1)
        gap_ms = self.qi("gap_ms", 0)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for i in range(n):
                if i == gap_after:
                    if STOP.wait(gap_ms / 1000.0):
                        return
                self.chunk(b'data: {"i":%d}\n\n' % i)
                time.sleep(ms / 1000.0)
            self.chunk(b"data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True

    def r_stall(self, u, body):
        if self.qi("headers", 0):
            self.send_response(200)
            self.send_header("Content-Length", "10")
            self.end_headers()
            self.wfile.flush()
        # Hold the connection until the client gives up (or 30 s).
        self.connection.settimeout(0.05)
        deadline = time.time() + 30
        while time.time() < deadline and not STOP.is_set():
            try:
                if self.connection.recv(1, socket.MSG_PEEK) == b"":
                    break
            except socket.timeout:
                continue
            except OSError:
                break
            time.sleep(0.05)
        self.close_connection = True

    def r_cut(self, u, body):
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b"y" * 1000)
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def r_conc(self, u, body):
        group = self.q("group", "default")
        with LOCK:
            g = CONC.setdefault(group, {"now": 0, "max": 0, "order": []})
            g["now"] += 1
            g["max"] = max(g["max"], g["now"])
            if self.q("seq") is not None:
                g["order"].append(int(self.q("seq")))
        time.sleep(self.qi("ms", 50) / 1000.0)
        with LOCK:
            g["now"] -= 1
        self.send_json(200, {"group": group})

    def r_conc_stats(self, u, body):
        with LOCK:
            g = CONC.get(self.q("group", "default"),
                         {"now": 0, "max": 0, "order": []})
            self.send_json(200, {"max": g["max"], "order": list(g["order"])})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # 100 simultaneous connects must not hit the backlog
    allow_reuse_address = True


def watch_parent(server, ppid):
    while not STOP.wait(0.2):
        if os.getppid() != ppid:
            STOP.set()
            server.shutdown()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file")
    args = ap.parse_args()
    server = Server(("127.0.0.1", 0), Handler)
    port = server.server_address[1]

    def on_term(signum, frame):
        STOP.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    threading.Thread(target=watch_parent, args=(server, os.getppid()),
                     daemon=True).start()
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    print(port, flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        STOP.set()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
