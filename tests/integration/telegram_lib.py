"""telegram_lib.py — helpers shared by the Telegram integration tests: the
fake Bot API and `xio run` as child processes, a scripted team of humans,
and waiting for the bot to settle by reading the store (never by sleeping
a fixed time)."""
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request

BIN = os.environ.get("XIO_BIN", "")
SRC = os.environ.get("XIO_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
MAIN_TOKEN = "111111:main-secret"
USERS = {"Alice": 1001, "Bob": 1002, "Carol": 1003, "Dana": 1004}


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class FakeTelegram:
    def __init__(self, bots, *limits):
        args = [sys.executable, os.path.join(SRC, "tests/fakes/fake_telegram.py")]
        for tok, name in bots:
            args += ["--bot", f"{tok}={name}"]
        for flag, v in zip(("--chat-per-sec", "--group-per-min", "--bot-per-sec"), limits):
            args += [flag, str(v)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        check(line.startswith("PORT "), f"fake did not start: {line!r}")
        self.port = int(line.split()[1])
        self.url = f"http://127.0.0.1:{self.port}"

    def ctl(self, what, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + "/control/" + what, data=data,
                                     headers={"Content-Type": "application/json"},
                                     method="POST" if data is not None else "GET")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def sent(self):
        return self.ctl("sent")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class Xio:
    def __init__(self, tmp, fake, db, mode="polling", persona_tokens=(), extra=None, name="xio"):
        self.tmp, self.fake, self.db, self.mode = tmp, fake, db, mode
        self.http_port = free_port()
        self.log = os.path.join(tmp, name + ".log")
        cfg = {
            "log": {"level": "debug", "format": "json"},
            "store": {"path": db},
            "http": {"enabled": True, "host": "127.0.0.1", "port": self.http_port},
            "chat": {"adapters": ["telegram"]},
            "consilium": {"max_rounds": 6},
            "telegram": {"mode": mode, "bot_token": MAIN_TOKEN, "api_url": fake.url,
                         "webhook_url": f"http://127.0.0.1:{self.http_port}/telegram/webhook",
                         "webhook_secret": "s3cret-Token_1",
                         "persona_tokens": list(persona_tokens),
                         "chat_interval_ms": 0, "group_per_minute": 10000, "bot_per_second": 10000},
        }
        for k, v in (extra or {}).items():
            sect, key = k.split(".")
            cfg[sect][key] = v
        self.cfg = os.path.join(tmp, name + ".yaml")
        with open(self.cfg, "w") as f:
            json.dump(cfg, f)   # JSON is YAML
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([BIN, "run", "-c", self.cfg], stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, "a"))
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            rc = self.proc.wait(20)
            check(rc == 0, f"xio exited with {rc} on SIGTERM (see {self.log})")
        self.proc = None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None


def q(db, sql, *args):
    for _ in range(50):
        try:
            con = sqlite3.connect(db, timeout=5)
            try:
                return con.execute(sql, args).fetchall()
            finally:
                con.close()
        except sqlite3.OperationalError:
            time.sleep(0.05)
    raise Fail(f"store {db} unreadable")


def wait_until(what, fn, timeout=30, on_wait=None):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        if on_wait:
            on_wait()
        time.sleep(0.02)
    raise Fail(f"timed out waiting for {what}")


def settled(db, fake, update_id, mode):
    """The update was taken (confirmed or delivered) and the outbox is empty."""
    st = fake.ctl("state")
    if mode == "polling":
        if st["confirmed"] <= update_id:
            return False
    elif st["pending"]:
        return False
    if not os.path.exists(db):
        return False
    try:
        rows = q(db, "select count(*) from outbox where state < 2")
    except sqlite3.Error:
        return False
    return rows[0][0] == 0


def say(fake, chat, who, text, **kw):
    body = {"chat": chat, "from": {"id": USERS.get(who, 1999), "first_name": who,
                                   "language_code": "en"}, "text": text}
    body.update(kw)
    return fake.ctl("message", body)


def script_lines(name="consilium_en.txt"):
    out = []
    with open(os.path.join(SRC, "tests/integration/scripts", name)) as f:
        for line in f:
            line = line.strip()
            if line:
                who, _, text = line.partition(": ")
                out.append((who, text))
    return out


def run_script(fake, xio, chat, lines, mode="polling", timeout=30, **kw):
    """Feeds lines one at a time, each after the bot settled on the last."""
    ids = []
    for who, text in lines:
        r = say(fake, chat, who, text, **kw)
        ids.append(r)
        wait_until(f"bot to settle after {text!r}",
                   lambda: settled(xio.db, fake, r["update_id"], mode), timeout)
    return ids


def dump(db):
    """The stored state without times, for comparing runs."""
    out = [f"{a}|{k}|{t}" for a, k, t in q(db, "select author, author_kind, text from messages order by id")]
    out.append("--- decision")
    out += [repr(r) for r in q(db, "select status, json_remove(log, '$.created_at', '$.updated_at'), tasks from decisions")]
    out.append("--- consiliums")
    out += [repr(r) for r in q(db, "select thread_key, phase, step from consiliums")]
    out.append("--- outbox")
    out += [repr(r) for r in q(db, "select key, kind, state from outbox order by id")]
    return out
