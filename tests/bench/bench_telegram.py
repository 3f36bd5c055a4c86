#!/usr/bin/env python3
"""bench_telegram.py — Telegram end to end: updates/s from the fake Bot API
through `xio run` (long polling, SQLite store with WAL) and back out as a
sendMessage, with p50/p99 latency (update injected -> reply recorded by the
fake) and the peak RSS of the xio process, for 1, 100 and 10,000 chats.

Each update is a command in a group without a consilium, which the bot
answers with one message: the whole path — getUpdates, the inbound claim,
the step's transaction with its outbox row, the paced sendMessage, the
stored message id, the outbox row marked done — once per update.  Updates
are injected in bursts of BURST and the next burst waits for the replies.
The pacing is switched off (the fake enforces no limits): with Telegram's
real 1 msg/s per chat, one chat could never exceed 1 update/s; what is
measured is XIO, not Telegram's limits.

Usage: bench_telegram.py [--full] [SECONDS_PER_SIZE]   (default 3)
Without --full each size runs for the given time only (ctest), so the
10,000-chat size uses as many distinct chats as updates fit in it; with
--full every chat gets at least one update."""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from telegram_lib import MAIN_TOKEN, FakeTelegram, Xio, wait_until  # noqa: E402

BURST = 100


def peak_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def bench(tmp, nchats, seconds, full):
    fake = FakeTelegram([(MAIN_TOKEN, "xio_bot")], 0, 0, 0)
    xio = Xio(tmp, fake, os.path.join(tmp, f"bench{nchats}.db"), name=f"bench{nchats}",
              extra={"log.level": "warn"}).start()
    try:
        wait_until("polling", lambda: fake.ctl("state")["counts"]["getUpdates"] > 0)
        injected = {}
        seen = 0
        lat = []
        sent_n = 0
        t0 = time.time()
        k = 0
        # full: at least one update per chat, then as many as fit in the
        # time; quick (ctest): as many as fit, spread over the chats
        while (full and k < nchats) or time.time() - t0 < seconds:
            batch = []
            for _ in range(BURST):
                chat = -(100000 + k % nchats)
                batch.append({"chat": {"id": chat, "type": "supergroup"},
                              "from": {"id": 7, "first_name": "Bench"}, "text": "/status"})
                k += 1
            for m, r in zip(batch, fake.ctl("messages", {"messages": batch})):
                injected[(m["chat"]["id"], r["message_id"])] = r["at"]
            target = sent_n + len(batch)
            end = time.time() + 60
            while sent_n < target and time.time() < end:
                sent = fake.ctl(f"sent?since={seen}")
                for s in sent:
                    at = injected.get((s["chat_id"], s["reply_to"]))
                    if at is not None:
                        lat.append(s["at"] - at)
                seen += len(sent)
                sent_n = len(lat)
                if sent_n < target:
                    time.sleep(0.005)
            if sent_n < target:
                raise SystemExit(f"{nchats} chats: only {sent_n} of {target} replies")
        elapsed = time.time() - t0
        rss = peak_rss_kb(xio.proc.pid)
        xio.stop()
    finally:
        xio.kill()
        fake.stop()
    lat.sort()
    p50 = lat[len(lat) // 2] * 1000
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
    print(f"telegram e2e {nchats:>6} chats ({min(k, nchats)} used): {len(lat):>6} updates in {elapsed:5.2f} s = "
          f"{len(lat) / elapsed:7.1f} updates/s; latency p50 {p50:6.1f} ms, p99 {p99:6.1f} ms; "
          f"peak RSS {rss / 1024:.1f} MiB", flush=True)


def main():
    args = [a for a in sys.argv[1:] if a != "--full"]
    full = "--full" in sys.argv
    seconds = float(args[0]) if args else 3.0
    tmp = tempfile.mkdtemp(prefix="xio-tgbench-")
    try:
        for n in (1, 100, 10000):
            bench(tmp, n, seconds, full)
    finally:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
