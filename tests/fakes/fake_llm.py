#!/usr/bin/env python3
"""fake_llm.py — an OpenAI-compatible chat completions server for the tests.

Binds 127.0.0.1 on a free port (port 0), prints the port on stdout and, with
--port-file F, writes it to F (atomically) once it listens.  Exits on SIGTERM,
or by itself when its parent process goes away.

POST /v1/chat/completions (any path ending in /chat/completions) answers as
OpenAI does, streamed (SSE: role chunk, content chunks, finish chunk, a usage
chunk when stream_options.include_usage, then [DONE]) or not, with usage.

Replies are scripted by the marker XIO puts in its prompts, "[xio:KIND:...]":
  turn:<persona>:<n>   the persona's n-th turn: script.turn[persona][n-1]
                       (the last one repeats)
  select:<round>:<k>   {"next": first name of the json_schema enum}, or the
                       script's select list, else {"next": ""}
  judge:<round>        consensus once round >= script.consensus_round [2]
  integrator / scribe  a schema-valid decision log / {"tasks": [...]}
  summary              a short summary text
  repair:<what>        the valid answer of <what>
The answer follows the language of the prompt (any Cyrillic -> Russian).
Unknown prompts get "OK.".

Faults, set with --faults JSON or POST /_control {"faults": [...]} (which
replaces them; "latency_ms" may be set too): each is {"match": substring of
the marker ("" = any), "kind": ..., "count": times (-1 = always) [1]}, kinds:
  429 (with "retry_after" seconds [0] or "retry_after_ms"), 500, 503,
  error_string (500 with "error" as a plain string), 401, 404, 409,
  stall (stream: role chunk, then silence for 60 s), cut (half a chunk, then
  the connection closes), error_chunk (a stream chunk holding "error"),
  invalid_json (prose instead of JSON), bad_schema (JSON that breaks the
  schema), empty (empty content).
GET /_stats: {"requests": n, "by_kind": {...}, "max_in_flight": n,
"faults_left": [...]}; GET /_requests: the last 50 request bodies.
"""
import argparse
import json
import os
import re
import select
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {"faults": [], "latency_ms": 0, "requests": 0, "by_kind": {},
         "in_flight": 0, "max_in_flight": 0, "bodies": []}
SCRIPT = {}
MARK = re.compile(r"\[xio:([a-z_]+)((?::[^\]\s]*)*)\]")
CYR = re.compile("[\u0400-\u04ff]")

EN = {
    "turn": {
        "architect": [
            "Economist, I would take option B: a Postgres read replica keeps one engine that the team already runs.",
            "Agreed, Economist: option B, the Postgres replica, with a rollback runbook before the cutover.",
        ],
        "economist": [
            "Architect, option B is also the cheapest; a new analytics store would cost us a quarter.",
            "I back option B too, Architect; Alice, can you confirm the December deadline?",
        ],
    },
    "log": {
        "question": "Which store for the reports?",
        "alternatives": [
            {"title": "Option A: a new analytics store", "pros": ["fast queries"],
             "cons": ["a new engine to run"]},
            {"title": "Option B: a Postgres read replica", "pros": ["one engine", "cheap"],
             "cons": ["slower large queries"]},
        ],
        "decision": "Option B: a Postgres read replica serves the reports.",
        "rationale": "Safer cutover and lower cost; the team already runs Postgres.",
        "risks": [{"description": "Replica lag delays the reports", "impact": 2,
                   "probability": 3, "mitigation": "Alert on lag over a minute"}],
    },
    "tasks": {"tasks": [
        {"title": "Set up the Postgres replica", "owner": "Alice", "due": "2031-12-15",
         "priority": "high", "confidence": 0.9},
        {"title": "Write the rollback runbook", "owner": "Architect", "due": None,
         "priority": "medium", "confidence": 0.8},
    ]},
    "reason_no": "Cost and the deadline are still open.",
    "reason_yes": "Everyone backs option B, the Postgres replica.",
    "summary": "Summary: the Architect and the Economist both lean to option B, a Postgres replica.",
}
RU = {
    "turn": {
        "architect": [
            "Экономист, я за вариант Б: реплика Postgres оставляет один движок, который команда уже знает.",
            "Согласен, Экономист: вариант Б, реплика Postgres, и план отката до переключения.",
        ],
        "economist": [
            "Архитектор, вариант Б ещё и самый дешёвый; новое хранилище обошлось бы нам в квартал.",
            "Я тоже за вариант Б, Архитектор; Алиса, подтвердите срок в декабре?",
        ],
    },
    "log": {
        "question": "Какое хранилище для отчётов?",
        "alternatives": [
            {"title": "Вариант А: новое аналитическое хранилище", "pros": ["быстрые запросы"],
             "cons": ["новый движок в эксплуатации"]},
            {"title": "Вариант Б: реплика Postgres", "pros": ["один движок", "дёшево"],
             "cons": ["медленные большие запросы"]},
        ],
        "decision": "Вариант Б: отчёты строятся на реплике Postgres.",
        "rationale": "Безопасное переключение и низкая цена; команда уже работает с Postgres.",
        "risks": [{"description": "Отставание реплики задерживает отчёты", "impact": 2,
                   "probability": 3, "mitigation": "Оповещение при отставании больше минуты"}],
    },
    "tasks": {"tasks": [
        {"title": "Поднять реплику Postgres", "owner": "Алиса", "due": "2031-12-15",
         "priority": "high", "confidence": 0.9},
        {"title": "Написать план отката", "owner": "Архитектор", "due": None,
         "priority": "medium", "confidence": 0.8},
    ]},
    "reason_no": "Цена и срок ещё не решены.",
    "reason_yes": "Все поддерживают вариант Б, реплику Postgres.",
    "summary": "Изложение: Архитектор и Экономист склоняются к варианту Б, реплике Postgres.",
}
BAD = {
    "integrator": {"question": "Q", "alternatives": [], "decision": "", "rationale": "x",
                   "risks": [{"description": "r", "impact": 9, "probability": 3}]},
    "scribe": {"tasks": [{"title": "", "owner": "Alice", "due": "someday",
                          "priority": "urgent", "confidence": 2}]},
    "select": {"next": 42},
    "judge": {"verdict": "maybe"},
}


def marker(body):
    """(kind, args, text of all messages) of a request."""
    msgs = body.get("messages") or []
    text = "\n".join(str(m.get("content", "")) for m in msgs)
    found = None
    # a repair marker in the last user message wins over the system prompt's
    for m in reversed(msgs):
        mm = MARK.search(str(m.get("content", "")))
        if mm:
            found = mm
            break
    if not found:
        return "", [], text
    args = [a for a in found.group(2).split(":") if a]
    return found.group(1), args, text


def take_fault(tag):
    with LOCK:
        for f in STATE["faults"]:
            if f.get("count", 1) == 0:
                continue
            if f.get("match", "") in tag:
                if f.get("count", 1) > 0:
                    f["count"] = f.get("count", 1) - 1
                return dict(f)
    return None


def answer(kind, args, text, body):
    lang = RU if CYR.search(text) else EN
    script = SCRIPT.get("ru" if lang is RU else "en", {})
    if kind == "turn":
        persona = args[0] if args else ""
        n = int(args[1]) if len(args) > 1 and args[1].isdigit() else 1
        lines = script.get("turn", {}).get(persona) or lang["turn"].get(persona) or ["I have nothing to add."]
        return lines[min(n, len(lines)) - 1]
    if kind == "select":
        if SCRIPT.get("select"):
            return json.dumps({"next": SCRIPT["select"][0]})
        rf = body.get("response_format") or {}
        try:
            names = rf["json_schema"]["schema"]["properties"]["next"]["enum"]
        except (KeyError, TypeError):
            names = []
        # prefer an AI expert: humans are in the transcript as "Name (human)"
        pick = ""
        for n in names:
            if f"{n} (human)" not in text:
                pick = n
                break
        return json.dumps({"next": pick or (names[0] if names else "")})
    if kind == "judge":
        rnd = int(args[0]) if args and args[0].isdigit() else 1
        yes = rnd >= SCRIPT.get("consensus_round", 2)
        return json.dumps({"consensus": yes,
                           "reason": lang["reason_yes"] if yes else lang["reason_no"]},
                          ensure_ascii=False)
    if kind == "integrator" or (kind == "repair" and args and args[0] == "integrator"):
        return json.dumps(script.get("log", lang["log"]), ensure_ascii=False)
    if kind == "scribe" or (kind == "repair" and args and args[0] == "scribe"):
        return json.dumps(script.get("tasks", lang["tasks"]), ensure_ascii=False)
    if kind == "summary":
        return lang["summary"]
    return "OK."


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake_llm/1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def setup(self):
        super().setup()
        # small SSE writes must not wait for delayed ACKs
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send_json(self, code, obj, extra=None):
        data = json.dumps(obj, ensure_ascii=False).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        if self.path.startswith("/_stats"):
            with LOCK:
                self.send_json(200, {"requests": STATE["requests"], "by_kind": STATE["by_kind"],
                                     "max_in_flight": STATE["max_in_flight"],
                                     "faults_left": STATE["faults"]})
        elif self.path.startswith("/_requests"):
            with LOCK:
                self.send_json(200, STATE["bodies"])
        else:
            self.send_json(404, {"error": {"message": "no such route", "type": "invalid_request_error",
                                           "param": None, "code": "not_found"}})

    def do_POST(self):
        raw = self.read_body()
        if self.path.startswith("/_control"):
            cfg = json.loads(raw or b"{}")
            with LOCK:
                if cfg.get("reset"):
                    STATE.update(requests=0, by_kind={}, max_in_flight=0, bodies=[])
                if "faults" in cfg:
                    STATE["faults"] = cfg["faults"]
                if "latency_ms" in cfg:
                    STATE["latency_ms"] = cfg["latency_ms"]
            self.send_json(200, {"ok": True})
            return
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self.send_json(404, {"error": {"message": f"Unknown path {self.path}",
                                           "type": "invalid_request_error", "code": 404}})
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self.send_json(400, {"error": {"message": "invalid JSON body", "type": "invalid_request_error",
                                           "param": None, "code": None}})
            return
        with LOCK:
            STATE["requests"] += 1
            STATE["in_flight"] += 1
            STATE["max_in_flight"] = max(STATE["max_in_flight"], STATE["in_flight"])
            STATE["bodies"] = (STATE["bodies"] + [body])[-50:]
            latency = STATE["latency_ms"]
        try:
            self.complete(body, latency)
        finally:
            with LOCK:
                STATE["in_flight"] -= 1

    def complete(self, body, latency):
        kind, args, text = marker(body)
        tag = ":".join([kind] + args)
        with LOCK:
            STATE["by_kind"][kind or "other"] = STATE["by_kind"].get(kind or "other", 0) + 1
        if SCRIPT.get("model") and body.get("model") != SCRIPT["model"]:
            self.send_json(404, {"error": {"message": f"model '{body.get('model')}' not found",
                                           "type": "invalid_request_error", "code": "model_not_found"}})
            return
        fault = take_fault(tag)
        fk = fault["kind"] if fault else ""
        if latency:
            time.sleep(latency / 1000.0)
        if fk == "429":
            extra = {}
            if "retry_after_ms" in fault:
                extra["retry-after-ms"] = str(fault["retry_after_ms"])
            else:
                extra["Retry-After"] = str(fault.get("retry_after", 0))
            self.send_json(429, {"error": {"message": "Rate limit reached", "type": "requests",
                                           "param": None, "code": "rate_limit_exceeded"}}, extra)
            return
        if fk in ("500", "503", "409"):
            self.send_json(int(fk), {"error": {"message": "The server had an error", "type": "server_error",
                                               "param": None, "code": int(fk)}})
            return
        if fk == "error_string":
            self.send_json(500, {"error": "Model crashed while generating"})
            return
        if fk == "401":
            self.send_json(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                           "param": None, "code": "invalid_api_key"}})
            return
        if fk == "404":
            self.send_json(404, {"error": {"message": "The model does not exist", "type": "invalid_request_error",
                                           "param": "model", "code": "model_not_found"}})
            return
        content = answer(kind, args, text, body)
        if fk == "invalid_json":
            content = "I think the council should go on; let me explain in prose instead of JSON."
        elif fk == "bad_schema":
            key = args[0] if kind == "repair" and args else kind
            content = json.dumps(BAD.get(key, {"unexpected": True}))
        elif fk == "empty":
            content = ""
        model = body.get("model") or "fake"
        ptok = max(1, len(text) // 4)
        ctok = max(1, len(content) // 4)
        if not body.get("stream"):
            self.send_json(200, {
                "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": ptok, "completion_tokens": ctok,
                          "total_tokens": ptok + ctok}})
            return
        self.stream(body, model, content, ptok, ctok, fk)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def event(self, obj):
        self.chunk(b"data: " + json.dumps(obj, ensure_ascii=False).encode() + b"\n\n")

    def stream(self, body, model, content, ptok, ctok, fk):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk",
                "created": int(time.time()), "model": model}

        def delta(d, finish=None):
            return dict(base, choices=[{"index": 0, "delta": d, "finish_reason": finish}])

        self.event(delta({"role": "assistant", "content": ""}))
        if fk == "stall":
            # not counted as in flight; ends when the client hangs up
            with LOCK:
                STATE["in_flight"] -= 1
            try:
                select.select([self.connection], [], [], 60)
            finally:
                with LOCK:
                    STATE["in_flight"] += 1
            self.close_connection = True
            return
        if fk == "error_chunk":
            self.event({"error": {"message": "The model overloaded mid-stream", "type": "server_error",
                                  "param": None, "code": None}})
            self.chunk(b"data: [DONE]\n\n")
            self.chunk(b"")
            return
        pieces = [content[i:i + 24] for i in range(0, len(content), 24)] or [""]
        if fk == "cut":
            self.event(delta({"content": pieces[0]}))
            self.wfile.write(b"40\r\ndata: {\"partial")
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        for p in pieces:
            self.event(delta({"content": p}))
        self.event(delta({}, "stop"))
        if (body.get("stream_options") or {}).get("include_usage"):
            self.event(dict(base, choices=[], usage={"prompt_tokens": ptok, "completion_tokens": ctok,
                                                     "total_tokens": ptok + ctok}))
        self.chunk(b"data: [DONE]\n\n")
        self.chunk(b"")


STOP = threading.Event()


def watch_parent(server, ppid):
    while not STOP.wait(0.5):
        if os.getppid() != ppid:
            STOP.set()
            server.shutdown()
            return


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file")
    ap.add_argument("--script", help="JSON file with scripted replies")
    ap.add_argument("--faults", help="JSON list of faults")
    ap.add_argument("--latency-ms", type=int, default=0)
    args = ap.parse_args()
    if args.script:
        with open(args.script, encoding="utf-8") as f:
            SCRIPT.update(json.load(f))
    if args.faults:
        STATE["faults"] = json.loads(args.faults)
    STATE["latency_ms"] = args.latency_ms
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 1024
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]

    def on_term(signum, frame):
        STOP.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    threading.Thread(target=watch_parent, args=(server, os.getppid()), daemon=True).start()
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(port))
        os.rename(tmp, args.port_file)
    print(port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
