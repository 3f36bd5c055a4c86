#!/usr/bin/env python3
"""telegram_crash.py — crash safety through Telegram.

Two scripted consiliums (English, then Russian, in two forum topics) are
fed through the fake Bot API once to an uninterrupted `xio run`, then again
to a fresh store while `xio run` is killed with SIGKILL at random instants
(CRASH_KILLS times at least) and restarted at once.  Afterwards the stored
transcript, decisions, consiliums and outbox must equal the uninterrupted
run's, and the fake's record of sent messages must equal the reference
sequence: every bot message once, in order.

A sendMessage accepted by Telegram whose answer died with the process
leaves its outcome unknown; xio then looks for the message in the chat
(editMessageText with the same text on the ids it has no record of: "message
is not modified" means it is there) before sending.  No duplicate is
allowed; the test prints how many outcomes were unknown and how many of
those messages were found in the chat."""
import os
import random
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from telegram_lib import (MAIN_TOKEN, Fail, FakeTelegram, Xio, dump, run_script,  # noqa: E402
                          script_lines, settled, wait_until)

KILLS = int(os.environ.get("CRASH_KILLS", "50"))
CHAT = {"id": -1009, "type": "supergroup", "is_forum": True, "title": "Crash"}
SCRIPTS = [("consilium_en.txt", 11), ("consilium_ru.txt", 22)]


def feed_all(fake, xio, timeout):
    for name, topic in SCRIPTS:
        run_script(fake, xio, CHAT, script_lines(name), timeout=timeout,
                   message_thread_id=topic, is_topic_message=True)


def record(fake):
    return [(m["chat_id"], m["message_thread_id"], m["bot"], m["text"]) for m in fake.sent()]


def main():
    tmp = tempfile.mkdtemp(prefix="xio-tgcrash-")
    fakes = []
    stop = threading.Event()
    x = None
    try:
        # the uninterrupted reference
        fake = FakeTelegram([(MAIN_TOKEN, "xio_bot")], 0, 0, 0)
        fakes.append(fake)
        ref = Xio(tmp, fake, os.path.join(tmp, "ref.db"), name="ref").start()
        try:
            feed_all(fake, ref, 30)
            ref.stop()
        finally:
            ref.kill()
        ref_dump, ref_sent = dump(ref.db), record(fake)
        fake.stop()

        # the same, killed at random instants
        fake = FakeTelegram([(MAIN_TOKEN, "xio_bot")], 0, 0, 0)
        fakes.append(fake)
        x = Xio(tmp, fake, os.path.join(tmp, "crash.db"), name="crash")
        kills = [0]
        rng = random.Random(int(os.environ.get("CRASH_SEED", str(int(time.time())))))

        def killer():
            while not stop.is_set():
                x.start()
                time.sleep(rng.uniform(0.005, 0.12))
                if stop.is_set():
                    break
                x.kill()
                kills[0] += 1

        t = threading.Thread(target=killer, daemon=True)
        t.start()
        feed_all(fake, x, 120)
        # keep killing while the last effects drain, until enough kills
        while kills[0] < KILLS:
            time.sleep(0.05)
        stop.set()
        t.join(10)
        x.kill()
        polls = fake.ctl("state")["counts"]["getUpdates"]
        x.start()
        # up and polling (signal handlers installed), then drained
        wait_until("final start", lambda: fake.ctl("state")["counts"]["getUpdates"] > polls, 30)
        wait_until("final drain", lambda: settled(x.db, fake, 0, "webhook") or
                   settled(x.db, fake, 0, "polling"), 60)
        x.stop()
        got_dump, got_sent = dump(x.db), record(fake)
        fake.stop()

        if got_dump != ref_dump:
            import difflib
            print("\n".join(list(difflib.unified_diff(ref_dump, got_dump, "ref", "crash", lineterm=""))[:40]))
            raise Fail(f"store after {kills[0]} SIGKILLs differs from the uninterrupted run")
        print(f"ok - stored transcript, decisions and outbox equal after {kills[0]} SIGKILLs", flush=True)

        with open(x.log) as f:
            lines = f.readlines()
        unknown = sum(1 for line in lines if "outcome unknown" in line)
        found = sum(1 for line in lines if "its lost answer was message" in line)
        dups = 0
        i = j = 0
        while j < len(got_sent):
            if i < len(ref_sent) and got_sent[j] == ref_sent[i]:
                i += 1
                j += 1
            elif j > 0 and got_sent[j] == got_sent[j - 1]:
                dups += 1
                j += 1
            else:
                raise Fail(f"message {j} differs from the reference: {got_sent[j][3][:80]!r}")
        if i != len(ref_sent):
            raise Fail(f"only {i} of {len(ref_sent)} reference messages were sent")
        if dups:
            raise Fail(f"{dups} duplicate message(s) ({unknown} outcomes were unknown, "
                       f"{found} found in the chat)")
        print(f"ok - {len(ref_sent)} bot messages sent once each, in order; {unknown} outcome(s) "
              f"unknown after a kill, {found} of them found already in the chat")
        print("2 passed, 0 failed")
        return 0
    except Fail as e:
        print(f"FAIL: {e}")
        return 1
    finally:
        stop.set()
        if x:
            x.kill()
        for f in fakes:
            if f.proc.poll() is None:
                f.stop()
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
