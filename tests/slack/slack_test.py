#!/usr/bin/env python3
"""slack_test.py SCENARIO — XIO against the fake Slack (tests/fakes/fake_slack.mjs).

Scenarios:
  socket    a full consilium over Socket Mode, compared with the console run
  events    the same over the Events API (signed HTTP deliveries)
  security  forged signature, stale timestamp, replayed event_id, malformed
            JSON, oversized body: refused with the right status, a log line,
            nothing stored; url_verification answered
  faults    a 429 storm and a dropped WebSocket in mid-consilium: it finishes
            in order, nothing lost, nothing posted twice
"""
import json, os, re, shutil, signal, sqlite3, subprocess, sys, tempfile, time, urllib.request

BIN = os.environ["XIO_BIN"]
SRC = os.environ["XIO_SOURCE_DIR"]
NODE_PREFIX = os.environ.get("XIO_NODE_PREFIX", "")
USERS = {"Alice": "UALICE", "Bob": "UBOB", "Carol": "UCAROL", "Dave": "UDAVE"}
CHANNEL = "CGENERAL"


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def http(url, obj=None, timeout=10):
    data = json.dumps(obj).encode() if obj is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET",
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"{}")


def wait_for(pred, what, timeout=30.0):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    fail(f"timed out waiting for {what}")


class World:
    def __init__(self, mode, tmp):
        self.mode, self.tmp = mode, tmp
        self.fake = subprocess.Popen(["node", os.path.join(SRC, "tests/fakes/fake_slack.mjs")],
                                     stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, "fake.err"), "w"),
                                     env={**os.environ, "FAKE_NODE_PREFIX": NODE_PREFIX})
        line = self.fake.stdout.readline().decode()
        m = re.match(r"PORT (\d+)", line)
        if not m:
            fail(f"fake slack did not start: {line!r}")
        self.fport = int(m.group(1))
        self.xio = None
        self.xport = None
        self.db = os.path.join(tmp, "slack.db")
        self.starts = 0
        self.errlog = os.path.join(tmp, "xio.err.0")

    def ctl(self, what, obj=None):
        return http(f"http://127.0.0.1:{self.fport}/_fake/{what}", obj if obj is not None else {})

    def start_xio(self, extra_env=None):
        cfg = os.path.join(self.tmp, "xio.yaml")
        with open(cfg, "w") as f:
            f.write(f"""log:
  level: info
  format: human
store:
  path: "{self.db}"
http:
  enabled: true
  host: "127.0.0.1"
  port: 0
chat:
  adapters: ["slack"]
consilium:
  max_rounds: 6
slack:
  mode: {self.mode}
  app_token: "xapp-test"
  bot_token: "xoxb-test"
  signing_secret: "secret-test"
  api_url: "http://127.0.0.1:{self.fport}/api"
""")
        env = {**os.environ, "XIOTEST_SLACK_PACE_MS": "10", **(extra_env or {})}
        self.starts += 1
        self.errlog = os.path.join(self.tmp, f"xio.err.{self.starts}")
        self.xio = subprocess.Popen([BIN, "run", "-c", cfg], stdout=subprocess.DEVNULL,
                                    stderr=open(self.errlog, "a"), env=env)

        def port():
            try:
                m = re.findall(r"HTTP on 127\.0\.0\.1:(\d+)", open(self.errlog).read())
            except FileNotFoundError:
                return None
            if self.xio.poll() is not None:
                fail("xio exited: " + open(self.errlog).read()[-2000:])
            return int(m[-1]) if m else None
        self.xport = wait_for(port, "xio's HTTP port")
        self.ctl("config", {"events_url": f"http://127.0.0.1:{self.xport}"})
        if self.mode == "socket":
            wait_for(lambda: self.ctl("state")["sockets"] >= 1, "a Socket Mode connection")
        wait_for(lambda: self.ready(), "xio ready")

    def ready(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.xport}/readyz", timeout=2) as r:
                return r.status == 200
        except Exception:
            return False

    def stop_xio(self, sig=signal.SIGTERM):
        if self.xio and self.xio.poll() is None:
            self.xio.send_signal(sig)
            try:
                self.xio.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.xio.kill()
                self.xio.wait()
                fail("xio did not stop on SIGTERM")
        rc = self.xio.returncode if self.xio else 0
        self.xio = None
        return rc

    def close(self):
        if self.xio and self.xio.poll() is None:
            self.xio.kill()
            self.xio.wait()
        if self.starts and re.search(r"ERROR: (Address|Leak)Sanitizer|runtime error:", self.log()):
            print(self.log()[-3000:])
            fail("a sanitizer reported an error in xio")
        self.fake.send_signal(signal.SIGTERM)
        try:
            self.fake.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.fake.kill()

    def posts(self):
        return self.ctl("posts")

    def bot_posts(self):
        return [p for p in self.posts()["posts"] if p["channel"] == CHANNEL]

    def keys(self):
        return [p["metadata"]["event_payload"]["key"] for p in self.bot_posts()]

    def log(self):
        return "".join(open(os.path.join(self.tmp, f"xio.err.{i}")).read()
                       for i in range(1, self.starts + 1))


def reference(tmp, script):
    db = os.path.join(tmp, "ref.db")
    with open(script) as f:
        r = subprocess.run([BIN, "console", "--db", db, "--session", "ref", "--set", "consilium.max_rounds=6"],
                           stdin=f, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
    if r.returncode:
        fail("reference console run failed: " + r.stderr.decode()[-1000:])
    return db


def transcript(db):
    c = sqlite3.connect(db)
    rows = c.execute("select author, author_kind, text, persona_id from messages order by id").fetchall()
    c.close()
    return rows


def expected_per_line(rows):
    """Persona messages that follow each human line, in the reference run."""
    counts, cur = [], None
    for author, kind, text, pid in rows:
        if kind in ("human", "command"):
            counts.append(0)
        elif counts:
            counts[-1] += 1
    return counts


def slack_text(text):
    """What a person types in Slack for a console line."""
    for name, uid in USERS.items():
        text = text.replace("@" + name, f"<@{uid}>")
    return text


def plain(text):
    """Slack text back to what the bot meant (mentions as @Name, unescaped)."""
    rev = {v: k for k, v in USERS.items()}
    # task owners became Slack users
    text = re.sub(r": <@(U[A-Z0-9]+)>;", lambda m: ": " + rev.get(m.group(1), m.group(1)) + ";", text)
    text = re.sub(r"<@(U[A-Z0-9]+)>", lambda m: "@" + rev.get(m.group(1), m.group(1)), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def personas():
    out, cur = {}, None
    for line in open(os.path.join(SRC, "config/personas/default.yaml")):
        m = re.match(r"\s+- id: (\S+)", line)
        if m:
            cur = m.group(1)
            out[cur] = {}
        m = re.match(r"\s+(name|icon): (.*)", line)
        if m and cur:
            out[cur][m.group(1)] = m.group(2).strip().strip('"')
    return out


def run_consilium(w, script, ref_rows, via, interrupt=None, pause=0.0):
    counts = expected_per_line(ref_rows)
    lines = [l.rstrip("\n") for l in open(script) if l.strip()]
    if len(lines) != len(counts):
        fail(f"script has {len(lines)} lines, reference transcript {len(counts)} inputs")
    thread = None
    total = 0
    for i, line in enumerate(lines):
        name, text = line.split(": ", 1)
        uid = USERS[name]
        if i == 0:
            if not text.startswith("/consilium "):
                fail("script must open with /consilium")
            r = w.ctl("command", {"user": uid, "channel": CHANNEL, "text": text[len("/consilium "):], "via": via})
            if via == "http" and r.get("status") != 200:
                fail(f"slash command refused: {r}")
        elif text.startswith("/"):
            r = w.ctl("event", {"type": "app_mention", "user": uid, "channel": CHANNEL,
                                "text": "<@UBOT> " + text[1:], "thread_ts": thread, "via": via})
        else:
            r = w.ctl("event", {"user": uid, "channel": CHANNEL, "text": slack_text(text),
                                "thread_ts": thread, "via": via})
        if via == "http" and r.get("status") != 200:
            fail(f"event refused: {r}")
        total += counts[i]
        time.sleep(pause)
        if interrupt:
            interrupt(i)
        wait_for(lambda: len(set(w.keys())) >= total, f"{total} bot posts after line {i + 1}", timeout=40)
        if i == 0:
            first = w.bot_posts()[0]
            if first.get("thread_ts"):
                fail("the consilium's first post must open the thread (no thread_ts)")
            thread = first["ts"]
    time.sleep(0.3)  # nothing more may come
    return thread


def check_thread(w, ref_rows, thread, mentions=True):
    pers = personas()
    posts = w.bot_posts()
    keys = [p["metadata"]["event_payload"]["key"] for p in posts]
    dups = sorted({k for k in keys if keys.count(k) > 1})
    if dups:
        fail(f"posted twice: {dups[:5]}")
    want = [(pid, text) for author, kind, text, pid in ref_rows if kind == "persona"]
    if len(posts) != len(want):
        fail(f"{len(posts)} posts in Slack, {len(want)} persona messages in the console run")
    for n, (p, (pid, text)) in enumerate(zip(posts, want)):
        if plain(p["text"]) != text:
            fail(f"post {n}: {p['text']!r} != {text!r}")
        if p["username"] != pers[pid]["name"]:
            fail(f"post {n}: username {p['username']} != {pers[pid]['name']}")
        if p.get("icon_emoji") != pers[pid]["icon"]:
            fail(f"post {n}: icon {p.get('icon_emoji')} != {pers[pid]['icon']}")
        if n and p.get("thread_ts") != thread:
            fail(f"post {n} is not in the consilium's thread")
    scribe = [p for p in posts if p["text"].startswith("*")]
    if not scribe or not any(b.get("type") == "section" for p in scribe for b in (p.get("blocks") or [])):
        fail("the decision log was not posted as Block Kit sections")
    if not any("Decision log" in p["text"] for p in scribe) or not any("Tasks" in p["text"] for p in scribe):
        fail("decision log and tasks missing at the end")
    if mentions and not any(": <@UCAROL>;" in p["text"] for p in scribe):
        fail("a task owner matching a Slack user was not shown as a mention")
    print(f"ok - {len(posts)} persona posts in the thread, in order, with names and icons; decision log as blocks")


def scenario_full(tmp, mode):
    script = os.path.join(SRC, "tests/integration/scripts/consilium_en.txt")
    ref_rows = transcript(reference(tmp, script))
    w = World(mode, tmp)
    try:
        w.ctl("config", {"interval_ms": 5, "burst": 50})
        w.start_xio()
        thread = run_consilium(w, script, ref_rows, "http" if mode == "events" else "socket")
        check_thread(w, ref_rows, thread)
        got = [(a, k, t) for a, k, t, _ in transcript(w.db)]
        want = [(a, k, t) for a, k, t, _ in ref_rows]
        if got != want:
            for g, r in zip(got, want):
                if g != r:
                    fail(f"stored transcript differs: {g} != {r}")
            fail(f"stored transcript length {len(got)} != {len(want)}")
        print("ok - stored transcript equals the console run's")
        # After /approve the consilium is closed; `/xio done 1` still
        # reaches its tasks, as no other consilium is open in the channel.
        done_before = sql(w.db, "select count(*) from tasks where status='done'")
        r = w.ctl("command", {"user": USERS["Carol"], "channel": CHANNEL, "text": "done 1",
                              "via": "http" if mode == "events" else "socket"})
        if mode == "events" and r.get("status") != 200:
            fail(f"/xio done 1 refused: {r}")
        wait_for(lambda: sql(w.db, "select count(*) from tasks where status='done'") == done_before + 1,
                 "/xio done 1 to close task 1 of the approved decision")
        print("ok - /xio done 1 reaches the channel's approved decision")
        if mode == "socket":
            st = w.ctl("state")
            if st["pending"]:
                fail(f"{st['pending']} envelopes never acknowledged")
            print(f"ok - every envelope acknowledged ({st['acks']})")
        rc = w.stop_xio()
        if rc:
            fail(f"xio exited with {rc} on SIGTERM")
        print("ok - clean shutdown")
    finally:
        w.close()


def settle(w, quiet=0.5):
    """Waits until no new post came for quiet seconds."""
    last, since = -1, time.time()
    while time.time() - since < quiet:
        n = len(w.posts()["posts"])
        if n != last:
            last, since = n, time.time()
        time.sleep(0.05)


def sql(db, query):
    c = sqlite3.connect(db)
    v = c.execute(query).fetchone()[0]
    c.close()
    return v


def count_rows(db, table):
    c = sqlite3.connect(db)
    n = c.execute(f"select count(*) from {table}").fetchone()[0]
    c.close()
    return n


def scenario_security(tmp):
    w = World("events", tmp)
    try:
        w.start_xio()
        r = w.ctl("url_verification")
        if r["status"] != 200 or json.loads(r["body"]).get("challenge") != "ch-123":
            fail(f"url_verification: {r}")
        print("ok - url_verification answered with the challenge")
        base = (count_rows(w.db, "inbound"), count_rows(w.db, "messages"))

        def refused(r, status, logpat, what):
            if r["status"] != status:
                fail(f"{what}: HTTP {r['status']}, want {status}")
            wait_for(lambda: re.search(logpat, w.log()), f"log line for {what}", 5)
            if (count_rows(w.db, "inbound"), count_rows(w.db, "messages")) != base:
                fail(f"{what}: something was stored")
            print(f"ok - {what}: {status}, logged, nothing stored")

        ev = {"type": "app_mention", "user": "UALICE", "channel": CHANNEL, "text": "<@UBOT> Should we?", "via": "http"}
        refused(w.ctl("event", {**ev, "forge": True}), 401, r"refused \(401\): signature mismatch", "forged signature")
        refused(w.ctl("event", {**ev, "stale": True}), 401, r"refused \(401\): stale timestamp", "stale timestamp")
        refused(w.ctl("sign", {"body": '{"type":"event_callback", broken'}), 400, r"refused \(400\): malformed JSON", "malformed JSON")
        refused(w.ctl("sign", {"body": '{"type":"event_callback","event_id":"Ev9","event":{"type":"app_mention","text":"x"' + ' ' * (300 * 1024) + '}}'}), 413, r"413", "oversized body")
        refused(w.ctl("sign", {"path": "/slack/commands", "body": "text=%00x&user_id=U1", "content_type": "application/x-www-form-urlencoded"}), 400, r"slash command from .* refused \(400\)", "malformed slash command")
        # a real event, then the same event_id again (Slack's retry, or a replay)
        r = w.ctl("event", {**ev, "event_id": "EvSAME"})
        if r["status"] != 200:
            fail(f"genuine event refused: {r}")
        wait_for(lambda: len(w.bot_posts()) >= 1, "the consilium's first post")
        settle(w)
        wait_for(lambda: count_rows(w.db, "inbound") == base[0] + 1, "the event stored")
        base = (count_rows(w.db, "inbound"), count_rows(w.db, "messages"))
        nposts = len(w.bot_posts())
        r = w.ctl("event", {**ev, "event_id": "EvSAME", "retry": 1, "ts": r["sent"]["event"]["ts"]})
        refused(r, 200, r"event EvSAME delivered again \(retry 1\); ignored", "replayed event_id")
        time.sleep(0.3)
        if len(w.bot_posts()) != nposts:
            fail("a replayed event made the bot post again")
        # the bot's own and other bots' messages are ignored
        thread = w.bot_posts()[0]["ts"] if not w.bot_posts()[0].get("thread_ts") else w.bot_posts()[0]["thread_ts"]
        w.ctl("event", {"user": "UOTHER", "bot_id": "B9", "channel": CHANNEL, "text": "beep", "thread_ts": thread, "via": "http"})
        w.ctl("event", {"user": "UBOT", "channel": CHANNEL, "text": "my own", "thread_ts": thread, "via": "http"})
        w.ctl("event", {"user": "UBOB", "subtype": "message_changed", "channel": CHANNEL, "text": "edit", "thread_ts": thread, "via": "http"})
        time.sleep(0.3)
        if count_rows(w.db, "messages") != base[1]:
            fail("a bot's message, the bot's own, or an edit joined the transcript")
        print("ok - bots' messages, the bot's own and edits are not taken into the transcript")
        # /xio help answers ephemerally through response_url
        w.ctl("command", {"user": "UBOB", "channel": CHANNEL, "text": "help", "via": "http"})
        wait_for(lambda: any(r.get("response_type") == "ephemeral" and "/decide" in r.get("text", "") for r in w.posts()["responses"]), "ephemeral help")
        print("ok - /xio help answered ephemerally")
        # a second consilium in the channel: /xio status must ask which thread
        w.ctl("command", {"user": "UBOB", "channel": CHANNEL, "text": "Second question?", "via": "http"})
        wait_for(lambda: len([p for p in w.bot_posts() if not p.get("thread_ts")]) >= 1, "the second consilium's thread")
        w.ctl("command", {"user": "UBOB", "channel": CHANNEL, "text": "status", "via": "http"})
        wait_for(lambda: any("Several consiliums" in r.get("text", "") for r in w.posts()["responses"]), "which-thread answer")
        print("ok - with two consiliums open, /xio status asks which thread")
        if w.stop_xio():
            fail("xio did not exit cleanly")
    finally:
        w.close()


def scenario_faults(tmp):
    script = os.path.join(SRC, "tests/integration/scripts/consilium_en.txt")
    ref_rows = transcript(reference(tmp, script))
    w = World("socket", tmp)
    try:
        # Slack's limit here is stricter than XIO's pacing: 429s come by themselves
        w.ctl("config", {"interval_ms": 40, "burst": 2})
        w.start_xio()

        def interrupt(i):
            if i == 3:
                w.ctl("config", {"storm": 4, "storm_retry_after": 1})
            if i == 6:
                w.ctl("drop")
            if i == 9:
                w.ctl("disconnect", {"reason": "refresh_requested"})
        thread = run_consilium(w, script, ref_rows, "socket", interrupt)
        check_thread(w, ref_rows, thread)
        log = w.posts()["log"]
        n429 = sum(1 for l in log if l.startswith("429"))
        if n429 < 4:
            fail(f"only {n429} 429 answers; the storm did not happen")
        print(f"ok - {n429} 429 answers survived, order kept, nothing lost or doubled")
        if "reconnecting" not in w.log():
            fail("no reconnect after the dropped WebSocket")
        if not re.search(r"disconnect \(refresh_requested\); opening a new one", w.log()):
            fail("disconnect not handled")
        # the replaced connection is closed with a close frame, not dropped
        closes = w.ctl("state")["closes"]
        if not any(c["code"] == 1000 for c in closes):
            fail(f"the refreshed connection was not closed with 1000: {closes}")
        got = [(a, k, t) for a, k, t, _ in transcript(w.db)]
        if got != [(a, k, t) for a, k, t, _ in ref_rows]:
            fail("stored transcript differs from the console run")
        print("ok - dropped WebSocket and disconnect: reconnected, transcript complete")
        if w.stop_xio():
            fail("xio did not exit cleanly")
    finally:
        w.close()


def scenario_crash(tmp):
    """SIGKILL in the middle of a consilium, again and again, over Socket Mode."""
    import random, threading
    script = os.path.join(SRC, "tests/integration/scripts/consilium_en.txt")
    ref_rows = transcript(reference(tmp, script))
    kills = int(os.environ.get("SLACK_CRASH_KILLS", "25"))
    w = World("socket", tmp)
    done = threading.Event()
    killed = [0]

    def killer():
        rnd = random.Random(os.environ.get("SLACK_CRASH_SEED"))
        while killed[0] < kills and not done.is_set():
            time.sleep(rnd.uniform(0.01, 0.25))
            w.xio.kill()
            w.xio.wait()
            killed[0] += 1
            w.start_xio()
    try:
        w.ctl("config", {"interval_ms": 5, "burst": 50})
        w.start_xio()
        t = threading.Thread(target=killer)
        t.start()
        try:
            thread = run_consilium(w, script, ref_rows, "socket", pause=0.4)
        finally:
            done.set()
            t.join()
        # whatever was cut short by the last kill settles now
        wait_for(lambda: len(set(w.keys())) >= sum(1 for r in ref_rows if r[1] == "persona"), "all posts")
        settle(w)
        # (the user cache starts empty after each kill, so owners may stay names)
        check_thread(w, ref_rows, thread, mentions=False)
        got = [(a, k, t) for a, k, t, _ in transcript(w.db)]
        if got != [(a, k, t) for a, k, t, _ in ref_rows]:
            fail("stored transcript differs from the console run after the kills")
        print(f"ok - {killed[0]} SIGKILLs: every post once, in order; transcript equals the console run's")
        if w.stop_xio():
            fail("xio did not exit cleanly")
    finally:
        w.close()


def main():
    if not shutil.which("node"):
        print("SKIP: node not found")
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="xio-slack-")
    try:
        sc = sys.argv[1]
        if sc in ("socket", "events"):
            scenario_full(tmp, sc)
        elif sc == "security":
            scenario_security(tmp)
        elif sc == "faults":
            scenario_faults(tmp)
        elif sc == "crash":
            scenario_crash(tmp)
        else:
            fail("unknown scenario " + sc)
    except SystemExit:
        if os.environ.get("KEEP"):
            print("kept", tmp)
            tmp = None
        raise
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
