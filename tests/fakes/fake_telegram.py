#!/usr/bin/env python3
"""fake_telegram.py — a local Telegram Bot API for XIO's tests.

Speaks the real protocol on /bot<token>/<method> (JSON, form or query
parameters) with the real envelope: {"ok":true,"result":...} or
{"ok":false,"error_code":N,"description":"...","parameters":{...}}.

Methods: getMe, getUpdates (long polling that holds until an update arrives
or the timeout passes; 409 while a webhook is set or when a newer poll
replaces it), setWebhook / deleteWebhook / getWebhookInfo (deliveries POST
each update to the URL with X-Telegram-Bot-Api-Secret-Token, in order,
retried until answered 2xx), setMyCommands / getMyCommands, sendMessage
(HTML entities checked, 4096-character limit, message_thread_id,
reply_parameters, migrated groups answered 400 with migrate_to_chat_id),
editMessageText (only the bot's own messages: "message to edit not found",
"message can't be edited", "message is not modified" for the same text).
Message ids are sequential per chat, as in supergroups.  Unknown tokens get 401 Unauthorized, unknown methods 404 Not Found.

Rate limits, per bot: --chat-per-sec messages per chat per second,
--group-per-min messages per group per minute, --bot-per-sec overall; over
a limit the answer is 429 with Retry-After and parameters.retry_after.
0 disables a limit.

Control endpoints (JSON in, JSON out) for tests:
  POST /control/message   {"chat": {...}, "from": {...}, "text": ..., "reply_to": id,
                           "message_thread_id": n, "is_topic_message": b,
                           "edited": message_id, "entities": [...]}
                          -> {"update_id", "message_id"}
  POST /control/messages  {"messages": [...]} several at once -> [...]
  POST /control/update    {"raw": {...}}  an update as given (update_id added
                          when missing) -> {"update_id"}
  POST /control/migrate   {"chat_id": old, "new_chat_id": new}
  POST /control/storm     {"count": n, "retry_after": s}  the next n sends get 429
  POST /control/swallow   {"count": n, "accepted": b}  the next n sends never
                          get an answer (accepted: the message is kept, as when
                          the answer is lost on the way back)
  GET  /control/sent      every message bots sent, in order (?since=N: from the Nth)
  GET  /control/state     counters, commands, webhooks, pending updates

Usage: fake_telegram.py --bot TOKEN=username [--bot ...] [--port-file F]
Prints "PORT <n>" on stdout once listening on 127.0.0.1.
"""
import argparse
import html.parser
import json
import math
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class HtmlCheck(html.parser.HTMLParser):
    ALLOWED = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code",
               "pre", "tg-spoiler", "span", "blockquote", "tg-emoji"}

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.stack, self.text, self.error = [], [], None

    def handle_starttag(self, tag, attrs):
        if tag not in self.ALLOWED:
            self.error = f"Unsupported start tag \"{tag}\""
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.error = f"Can't find end tag corresponding to start tag \"{tag}\""
        else:
            self.stack.pop()

    def handle_data(self, data):
        if "<" in data or ">" in data:
            self.error = "Unexpected end of name token"
        if "&" in data:
            self.error = "Character entity expected"
        self.text.append(data)

    def handle_entityref(self, name):
        if name not in ("lt", "gt", "amp", "quot"):
            self.error = f"Unsupported HTML entity \"&{name};\""
        self.text.append("x")

    def handle_charref(self, name):
        self.text.append("x")


def check_html(text):
    """Returns (visible text, error or None) as Telegram's HTML parse mode would."""
    p = HtmlCheck()
    try:
        p.feed(text)
        p.close()
    except Exception as e:  # noqa: BLE001
        return "", str(e)
    if p.rawdata:
        p.error = p.error or "Unexpected end of name token"
    if p.stack and not p.error:
        p.error = f"Can't find end tag corresponding to start tag \"{p.stack[-1]}\""
    return "".join(p.text), p.error


def utf16_len(s):
    return len(s.encode("utf-16-le")) // 2


class Fake:
    def __init__(self, bots, chat_per_sec, group_per_min, bot_per_sec):
        self.lock = threading.Condition()
        self.bots = bots                      # token -> username
        self.bot_ids = {t: int(t.split(":")[0]) for t in bots}
        self.main = next(iter(bots))
        self.limits = (chat_per_sec, group_per_min, bot_per_sec)
        self.updates = []                     # pending updates for the main bot
        self.next_update = 1
        self.confirmed = 0                    # offset confirmed by getUpdates
        self.next_msg = {}                    # chat -> next message id
        self.messages = {}                    # (chat, id) -> message
        self.sent = []
        self.sends_at = {}                    # key -> [times]
        self.storm = [0, 1]
        # the next sendMessage calls whose answer is lost: [count, accepted]
        # (accepted: Telegram has the message, only the answer is lost)
        self.swallow = [0, True]
        self.webhook = {}                     # token -> (url, secret)
        self.commands = {}
        self.migrated = {}
        self.poll_gen = 0
        self.counts = {"getUpdates": 0, "429": 0, "409": 0, "401": 0, "webhook_posts": 0,
                       "webhook_refused": 0, "sendMessage": 0}
        self.wake = threading.Event()

    # ---- helpers
    def new_msg_id(self, chat):
        n = self.next_msg.get(chat, 1)
        self.next_msg[chat] = n + 1
        return n

    def push(self, upd):
        with self.lock:
            if "update_id" not in upd:
                upd["update_id"] = self.next_update
            self.next_update = max(self.next_update, upd["update_id"] + 1)
            self.updates.append(upd)
            self.lock.notify_all()
        self.wake.set()
        return upd["update_id"]

    def over_limit(self, token, chat_id, now):
        cps, gpm, bps = self.limits
        checks = []
        if cps:
            checks.append((("c", token, chat_id), 1.0, cps))
        if gpm and chat_id < 0:
            checks.append((("g", token, chat_id), 60.0, gpm))
        if bps:
            checks.append((("b", token), 1.0, bps))
        wait = 0.0
        for key, window, n in checks:
            times = [t for t in self.sends_at.get(key, []) if t > now - window]
            self.sends_at[key] = times
            if len(times) >= n:
                wait = max(wait, times[-n] + window - now)
        if wait > 0:
            return max(1, math.ceil(wait))
        for key, _, _ in checks:
            self.sends_at[key].append(now)
        return 0

    # ---- methods
    def call(self, token, method, p):
        if token not in self.bots:
            self.counts["401"] += 1
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        fn = getattr(self, "m_" + method, None)
        if not fn:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        return fn(token, p)

    def ok(self, result):
        return 200, {"ok": True, "result": result}

    def bad(self, code, desc, **params):
        body = {"ok": False, "error_code": code, "description": desc}
        if params:
            body["parameters"] = params
        return code, body

    def m_getMe(self, token, p):
        return self.ok({"id": self.bot_ids[token], "is_bot": True, "first_name": self.bots[token],
                        "username": self.bots[token], "can_join_groups": True,
                        "can_read_all_group_messages": False, "supports_inline_queries": False})

    def m_setMyCommands(self, token, p):
        cmds = p.get("commands")
        if isinstance(cmds, str):
            cmds = json.loads(cmds)
        if not isinstance(cmds, list) or len(cmds) > 100:
            return self.bad(400, "Bad Request: commands must be an array of at most 100")
        for c in cmds:
            d = c.get("description", "")
            if not (1 <= len(d) <= 256) or not c.get("command"):
                return self.bad(400, "Bad Request: command description is invalid")
        with self.lock:
            self.commands[(token, p.get("language_code", ""))] = cmds
        return self.ok(True)

    def m_getMyCommands(self, token, p):
        return self.ok(self.commands.get((token, p.get("language_code", "")), []))

    def m_setWebhook(self, token, p):
        secret = p.get("secret_token", "")
        if len(secret) > 256 or any(not (ch.isalnum() or ch in "_-") for ch in secret):
            return self.bad(400, "Bad Request: secret token contains unallowed characters")
        if not p.get("url"):
            return self.m_deleteWebhook(token, p)
        with self.lock:
            self.webhook[token] = (p["url"], secret)
            self.lock.notify_all()
        self.wake.set()
        return self.ok(True)

    def m_deleteWebhook(self, token, p):
        with self.lock:
            self.webhook.pop(token, None)
            if p.get("drop_pending_updates"):
                self.updates = []
            self.lock.notify_all()
        return self.ok(True)

    def m_getWebhookInfo(self, token, p):
        url = self.webhook.get(token, ("", ""))[0]
        return self.ok({"url": url, "has_custom_certificate": False,
                        "pending_update_count": len(self.updates)})

    def m_getUpdates(self, token, p):
        offset = int(p.get("offset", 0) or 0)
        timeout = min(int(p.get("timeout", 0) or 0), 50)
        limit = max(1, min(int(p.get("limit", 100) or 100), 100))
        deadline = time.time() + timeout
        with self.lock:
            self.counts["getUpdates"] += 1
            if token in self.webhook:
                self.counts["409"] += 1
                return self.bad(409, "Conflict: can't use getUpdates method while webhook is active; "
                                     "use deleteWebhook to delete the webhook first")
            self.poll_gen += 1
            gen = self.poll_gen
            if offset > 0:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                self.confirmed = max(self.confirmed, offset)
            while True:
                if gen != self.poll_gen:
                    self.counts["409"] += 1
                    return self.bad(409, "Conflict: terminated by other getUpdates request; make sure "
                                         "that only one bot instance is running")
                ready = [u for u in self.updates if u["update_id"] >= offset][:limit]
                left = deadline - time.time()
                if ready or left <= 0:
                    return self.ok(ready)
                self.lock.wait(left)

    def m_sendMessage(self, token, p):
        try:
            chat_id = int(p.get("chat_id"))
        except (TypeError, ValueError):
            return self.bad(400, "Bad Request: chat not found")
        text = p.get("text", "")
        now = time.time()
        with self.lock:
            self.counts["sendMessage"] += 1
            if chat_id in self.migrated:
                return self.bad(400, "Bad Request: group chat was upgraded to a supergroup chat",
                                migrate_to_chat_id=self.migrated[chat_id])
            if self.storm[0] > 0:
                self.storm[0] -= 1
                self.counts["429"] += 1
                ra = self.storm[1]
                return self.bad(429, f"Too Many Requests: retry after {ra}", retry_after=ra)
            visible = text
            if p.get("parse_mode") == "HTML":
                visible, err = check_html(text)
                if err:
                    return self.bad(400, f"Bad Request: can't parse entities: {err}")
            if not visible.strip():
                return self.bad(400, "Bad Request: message text is empty")
            if utf16_len(visible) > 4096:
                return self.bad(400, "Bad Request: message is too long")
            thread = p.get("message_thread_id")
            if thread is not None and int(thread) == 1:
                return self.bad(400, "Bad Request: message thread not found")
            reply = p.get("reply_parameters")
            if isinstance(reply, str):
                reply = json.loads(reply)
            reply_to = None
            if reply:
                reply_to = int(reply.get("message_id"))
                if (chat_id, reply_to) not in self.messages:
                    if not reply.get("allow_sending_without_reply"):
                        return self.bad(400, "Bad Request: message to be replied not found")
                    reply_to = None
            elif p.get("reply_to_message_id"):
                reply_to = int(p["reply_to_message_id"])
            ra = self.over_limit(token, chat_id, now)
            if ra:
                self.counts["429"] += 1
                return self.bad(429, f"Too Many Requests: retry after {ra}", retry_after=ra)
            mid = self.new_msg_id(chat_id)
            msg = {"message_id": mid, "date": int(now),
                   "from": {"id": self.bot_ids[token], "is_bot": True, "first_name": self.bots[token],
                            "username": self.bots[token]},
                   "chat": {"id": chat_id, "type": "supergroup" if chat_id < 0 else "private"},
                   "text": text}
            if thread is not None:
                msg["message_thread_id"] = int(thread)
                msg["is_topic_message"] = True
            if reply_to:
                msg["reply_to_message"] = {"message_id": reply_to}
            lost = self.swallow[0] > 0
            if lost:
                self.swallow[0] -= 1
                if not self.swallow[1]:
                    return None, None     # never reached Telegram
            self.messages[(chat_id, mid)] = msg
            self.sent.append({"bot": self.bots[token], "chat_id": chat_id, "message_id": mid,
                              "text": text, "parse_mode": p.get("parse_mode"),
                              "message_thread_id": thread, "reply_to": reply_to, "at": now})
            if lost:
                return None, None         # accepted, but the answer never comes
            return self.ok(msg)

    def m_editMessageText(self, token, p):
        """As Telegram: a bot edits only its own messages; the same text and
        markup again is an error ("message is not modified")."""
        try:
            chat_id = int(p.get("chat_id"))
            mid = int(p.get("message_id"))
        except (TypeError, ValueError):
            return self.bad(400, "Bad Request: message identifier is not specified")
        text = p.get("text", "")
        with self.lock:
            self.counts["editMessageText"] = self.counts.get("editMessageText", 0) + 1
            if chat_id in self.migrated:
                return self.bad(400, "Bad Request: group chat was upgraded to a supergroup chat",
                                migrate_to_chat_id=self.migrated[chat_id])
            ra = self.over_limit(token, chat_id, time.time())
            if ra:
                self.counts["429"] += 1
                return self.bad(429, f"Too Many Requests: retry after {ra}", retry_after=ra)
            msg = self.messages.get((chat_id, mid))
            if msg is None:
                return self.bad(400, "Bad Request: message to edit not found")
            if msg.get("from", {}).get("id") != self.bot_ids[token]:
                return self.bad(400, "Bad Request: message can't be edited")
            if p.get("parse_mode") == "HTML":
                _, err = check_html(text)
                if err:
                    return self.bad(400, f"Bad Request: can't parse entities: {err}")
            if msg.get("text") == text:
                return self.bad(400, "Bad Request: message is not modified: specified new "
                                "message content and reply markup are exactly the same as a "
                                "current content and reply markup of the message")
            msg["text"] = text
            msg["edit_date"] = int(time.time())
            for rec in self.sent:
                if rec["chat_id"] == chat_id and rec["message_id"] == mid:
                    rec["text"] = text
                    rec["edited"] = True
            return self.ok(msg)

    # ---- control
    def c_message(self, p):
        with self.lock:
            chat = dict(p["chat"])
            chat.setdefault("type", "supergroup" if chat["id"] < 0 else "private")
            frm = dict(p.get("from", {"id": 1000, "first_name": "Alice"}))
            frm.setdefault("is_bot", False)
            text = p.get("text", "")
            if "edited" in p:
                mid = p["edited"]
            else:
                mid = self.new_msg_id(chat["id"])
            msg = {"message_id": mid, "date": int(time.time()), "chat": chat, "from": frm, "text": text}
            ents = p.get("entities")
            if ents is None and text.startswith("/"):
                word = text.split()[0]
                ents = [{"type": "bot_command", "offset": 0, "length": utf16_len(word)}]
            if ents:
                msg["entities"] = ents
            for k in ("message_thread_id", "is_topic_message"):
                if k in p:
                    msg[k] = p[k]
            if p.get("reply_to"):
                orig = self.messages.get((chat["id"], p["reply_to"]), {"message_id": p["reply_to"]})
                msg["reply_to_message"] = {k: v for k, v in orig.items() if k != "reply_to_message"}
            self.messages[(chat["id"], mid)] = msg
            if "edited" in p:
                msg["edit_date"] = int(time.time())
                upd = {"edited_message": msg}
            else:
                upd = {"message": msg}
        return {"update_id": self.push(upd), "message_id": mid, "at": time.time()}

    def c_migrate(self, p):
        old, new = int(p["chat_id"]), int(p["new_chat_id"])
        with self.lock:
            self.migrated[old] = new
            m1 = self.new_msg_id(old)
            m2 = self.new_msg_id(new)
        u1 = self.push({"message": {"message_id": m1, "date": int(time.time()),
                                    "chat": {"id": old, "type": "group"}, "migrate_to_chat_id": new}})
        u2 = self.push({"message": {"message_id": m2, "date": int(time.time()),
                                    "chat": {"id": new, "type": "supergroup"},
                                    "migrate_from_chat_id": old}})
        return {"update_ids": [u1, u2]}

    def state(self):
        with self.lock:
            return {"counts": dict(self.counts), "pending": len(self.updates),
                    "confirmed": self.confirmed,
                    "webhooks": {self.bots[t]: v[0] for t, v in self.webhook.items()},
                    "commands": {f"{self.bots[t]}:{lang}": c for (t, lang), c in self.commands.items()}}

    # ---- webhook delivery
    def deliver_loop(self):
        while True:
            self.wake.wait(0.2)
            self.wake.clear()
            with self.lock:
                hook = self.webhook.get(self.main)
                batch = list(self.updates) if hook else []
            for upd in batch:
                if not self.deliver(hook, upd):
                    break
                with self.lock:
                    self.updates = [u for u in self.updates if u["update_id"] != upd["update_id"]]

    def deliver(self, hook, upd):
        url, secret = hook
        req = urllib.request.Request(url, data=json.dumps(upd).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "X-Telegram-Bot-Api-Secret-Token": secret})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                self.counts["webhook_posts"] += 1
                return 200 <= r.status < 300
        except Exception:  # noqa: BLE001 — refused, down, or non-2xx: retry later
            self.counts["webhook_refused"] += 1
            time.sleep(0.1)
            self.wake.set()
            return False


def make_handler(fake):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # one write per response, sent at once: headers and body in separate
        # unbuffered writes would meet Nagle and delayed ACKs (40 ms stalls)
        wbufsize = 1 << 16
        disable_nagle_algorithm = True

        def log_message(self, *a):
            pass

        def reply(self, code, body, headers=None):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            try:
                self.wfile.write(data)
                self.wfile.flush()
            except OSError:
                pass  # the client went away (killed mid-request): as Telegram, carry on

        def params(self):
            url = urllib.parse.urlparse(self.path)
            p = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n) if n else b""
            ctype = self.headers.get("Content-Type", "")
            if raw and "json" in ctype:
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                if not isinstance(body, dict):
                    return url.path, None
                p.update(body)
            elif raw:
                p.update({k: v[-1] for k, v in urllib.parse.parse_qs(raw.decode()).items()})
            return url.path, p

        def handle_any(self):
            path, p = self.params()
            if p is None:
                return self.reply(400, {"ok": False, "error_code": 400,
                                        "description": "Bad Request: invalid JSON"})
            if path.startswith("/control/"):
                what = path[len("/control/"):]
                if what == "message":
                    return self.reply(200, fake.c_message(p))
                if what == "messages":
                    return self.reply(200, [fake.c_message(m) for m in p["messages"]])
                if what == "update":
                    return self.reply(200, {"update_id": fake.push(dict(p["raw"]))})
                if what == "migrate":
                    return self.reply(200, fake.c_migrate(p))
                if what == "storm":
                    with fake.lock:
                        fake.storm = [int(p.get("count", 5)), int(p.get("retry_after", 1))]
                    return self.reply(200, {"ok": True})
                if what == "swallow":
                    with fake.lock:
                        fake.swallow = [int(p.get("count", 1)), bool(p.get("accepted", True))]
                    return self.reply(200, {"ok": True})
                if what == "sent":
                    since = int(p.get("since", 0) or 0)
                    with fake.lock:
                        return self.reply(200, fake.sent[since:])
                if what == "state":
                    return self.reply(200, fake.state())
                return self.reply(404, {"error": "no such control"})
            parts = path.split("/")
            if len(parts) != 3 or not parts[1].startswith("bot"):
                return self.reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            code, body = fake.call(parts[1][3:], parts[2], p)
            if code is None:
                # an answer lost on the way: hold the request until the
                # client gives up or dies (the test kills it)
                time.sleep(60)
                self.close_connection = True
                return
            headers = {}
            if code == 429:
                headers["Retry-After"] = str(body["parameters"]["retry_after"])
            return self.reply(code, body, headers)

        do_GET = handle_any
        do_POST = handle_any

    return H


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bot", action="append", required=True, help="TOKEN=username; the first is the main bot")
    ap.add_argument("--chat-per-sec", type=int, default=1)
    ap.add_argument("--group-per-min", type=int, default=20)
    ap.add_argument("--bot-per-sec", type=int, default=30)
    ap.add_argument("--port-file")
    a = ap.parse_args()
    bots = {}
    for b in a.bot:
        tok, _, name = b.partition("=")
        bots[tok] = name
    fake = Fake(bots, a.chat_per_sec, a.group_per_min, a.bot_per_sec)
    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            pass  # a client killed mid-request is part of the tests

    srv = Server(("127.0.0.1", 0), make_handler(fake))
    srv.daemon_threads = True
    threading.Thread(target=fake.deliver_loop, daemon=True).start()
    port = srv.server_address[1]
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write(str(port))
        import os
        os.rename(a.port_file + ".tmp", a.port_file)
    print(f"PORT {port}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
