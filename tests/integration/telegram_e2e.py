#!/usr/bin/env python3
"""telegram_e2e.py — whole consiliums through the fake Bot API and the real
`xio run`: a forum topic by polling, a plain group by webhook with personas
as separate bots, and the awkward cases (wrong secret, malformed update,
unknown command, a command for another bot, edits and deletions, a 429
storm, several consiliums in one chat, a supergroup migration)."""
import collections
import json
import os
import re
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from telegram_lib import (MAIN_TOKEN, Fail, FakeTelegram, Xio, check, q, run_script,  # noqa: E402
                          say, script_lines, settled, wait_until)

PERSONA_BOTS = [("222222:mod", "xio_moderator_bot"), ("333333:int", "xio_integrator_bot"),
                ("444444:scr", "xio_scribe_bot")]
passed = 0


def ok(what):
    global passed
    passed += 1
    print(f"ok - {what}", flush=True)


def common_checks(db, sent, label):
    check(q(db, "select status from decisions") == [("approved",)], f"{label}: decision not approved")
    check(q(db, "select count(*) from tasks")[0][0] >= 3, f"{label}: tasks not stored")
    check(q(db, "select count(*) from outbox where state <> 2")[0][0] == 0, f"{label}: outbox not drained")
    texts = [m["text"] for m in sent]
    check(any("<b>Decision log</b>" in t for t in texts), f"{label}: no bold decision log")
    check(any("Decision approved by Bob" in t for t in texts), f"{label}: no approval")
    check(any("rollback runbook — owner: Carol" in t for t in texts), f"{label}: Carol's task missing")
    # every outbox post delivered exactly once
    posts = q(db, "select key, result from outbox where kind='post' and state=2")
    ids = [mid for _, r in posts for mid in json.loads(r)["message_ids"]]
    check(len(ids) == len(set(ids)), f"{label}: a message id recorded twice")
    keyed = collections.Counter((m["chat_id"], m["message_id"]) for m in sent)
    check(all(n == 1 for n in keyed.values()), f"{label}: duplicate message in the fake's record")
    check(len(sent) == len(ids), f"{label}: fake has {len(sent)} messages, outbox {len(ids)}")


def forum_polling(tmp):
    fake = FakeTelegram([(MAIN_TOKEN, "xio_bot")], 0, 0, 0)
    xio = Xio(tmp, fake, os.path.join(tmp, "forum.db")).start()
    try:
        chat = {"id": -1001, "type": "supergroup", "is_forum": True, "title": "Team"}
        run_script(fake, xio, chat, script_lines(), message_thread_id=42, is_topic_message=True)
        sent = fake.sent()
        common_checks(xio.db, sent, "forum")
        check(all(m["message_thread_id"] == 42 for m in sent), "forum: a message outside topic 42")
        check(q(xio.db, "select thread_key from consiliums") == [("telegram:-1001:t42",)], "forum: thread key")
        check(any(m["text"].startswith("<b>\U0001f9ed Moderator:</b>") for m in sent), "forum: no persona prefix")
        st = fake.ctl("state")
        check(st["commands"].get("xio_bot:ru") and st["commands"].get("xio_bot:en"), "setMyCommands en/ru")
        check(any(c["command"] == "consilium" for c in st["commands"]["xio_bot:ru"]), "ru commands")
        off = q(xio.db, "select value from kv where key='tg:offset:111111'")
        check(off and int(off[0][0]) == st["confirmed"], "offset not persisted")
        ok("forum topic, long polling: full consilium, bold prefixes, commands set in en+ru")

        # a second topic is a second consilium, the first is untouched
        r = say(fake, chat, "Dana", "/consilium@xio_bot Which CRM do we pick?", message_thread_id=77,
                is_topic_message=True)
        wait_until("topic 77", lambda: settled(xio.db, fake, r["update_id"], "polling"))
        check(q(xio.db, "select count(*) from consiliums where thread_key='telegram:-1001:t77'")[0][0] == 1,
              "second topic not opened")
        ok("/consilium@xio_bot in another topic opens a second consilium")
        xio.stop()
    finally:
        xio.kill()
        fake.stop()


def group_webhook_personas(tmp):
    fake = FakeTelegram([(MAIN_TOKEN, "xio_bot")] + PERSONA_BOTS, 0, 0, 0)
    tokens = ["moderator=222222:mod", "integrator=333333:int", "scribe=444444:scr"]
    xio = Xio(tmp, fake, os.path.join(tmp, "hook.db"), mode="webhook", persona_tokens=tokens).start()
    try:
        wait_until("webhook set", lambda: fake.ctl("state")["webhooks"].get("xio_bot"))
        # wrong and missing secret tokens are refused
        url = f"http://127.0.0.1:{xio.http_port}/telegram/webhook"
        body = json.dumps({"update_id": 999999, "message": {"message_id": 1, "chat": {"id": -5, "type": "group"},
                                                            "from": {"id": 1, "first_name": "Eve"},
                                                            "text": "/consilium forged"}}).encode()
        for hdr in ({"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {}):
            req = urllib.request.Request(url, data=body, method="POST",
                                         headers=dict(hdr, **{"Content-Type": "application/json"}))
            try:
                urllib.request.urlopen(req, timeout=5)
                raise Fail("webhook accepted a wrong secret")
            except urllib.error.HTTPError as e:
                check(e.code == 401, f"wrong secret answered {e.code}")
        check(q(xio.db, "select count(*) from consiliums")[0][0] == 0, "forged update was applied")
        ok("webhook refuses a wrong or missing secret token (401), nothing stored")

        chat = {"id": -2002, "type": "supergroup", "title": "Plain"}
        ids = run_script(fake, xio, chat, script_lines(), mode="webhook")
        sent = fake.sent()
        common_checks(xio.db, sent, "webhook")
        root = ids[0]["message_id"]
        check(all(m["reply_to"] == root for m in sent), "webhook: bot messages not in the reply chain")
        bots = collections.Counter(m["bot"] for m in sent)
        check(bots["xio_moderator_bot"] > 0 and bots["xio_integrator_bot"] > 0 and bots["xio_scribe_bot"] > 0,
              f"personas did not post as their bots: {dict(bots)}")
        check(not any(m["text"].startswith("<b>") and "Moderator:" in m["text"][:40]
                      for m in sent if m["bot"] == "xio_moderator_bot"), "persona bot still prefixed")
        check(fake.ctl("state")["counts"]["getUpdates"] == 0, "polled while in webhook mode")
        ok("plain group by webhook: reply chain, each persona posts as its own bot")
        xio.stop()
        # switching back to polling deletes the webhook
        xio2 = Xio(tmp, fake, xio.db, name="xio-poll").start()
        try:
            wait_until("webhook deleted", lambda: not fake.ctl("state")["webhooks"])
            wait_until("polling", lambda: fake.ctl("state")["counts"]["getUpdates"] > 0)
            ok("polling mode deletes the webhook, then polls")
            xio2.stop()
        finally:
            xio2.kill()
    finally:
        xio.kill()
        fake.stop()


def edge_cases(tmp):
    fake = FakeTelegram([(MAIN_TOKEN, "xio_bot")], 0, 0, 0)
    xio = Xio(tmp, fake, os.path.join(tmp, "edge.db")).start()
    db = xio.db
    try:
        chat = {"id": -3003, "type": "group", "title": "Small"}
        r = say(fake, chat, "Alice", "/consilium Should we adopt Kotlin?")
        wait_until("opened", lambda: settled(db, fake, r["update_id"], "polling"))
        root = r["message_id"]

        def step(text, who="Bob", **kw):
            rr = say(fake, chat, who, text, **kw)
            wait_until(repr(text), lambda: settled(db, fake, rr["update_id"], "polling"))
            return rr

        # malformed updates are skipped; the next one is still handled
        u1 = fake.ctl("update", {"raw": {"message": {"text": "no chat", "message_id": 5}}})
        u2 = fake.ctl("update", {"raw": {"edited_message": {"chat": {"id": "x"}, "text": 7}}})
        step("I like Kotlin for the new services.")
        check(q(db, "select count(*) from messages where text='I like Kotlin for the new services.'")[0][0] == 1,
              "message after malformed updates lost")
        check(u1 and u2, "malformed not injected")
        ok("malformed updates skipped without losing the next")

        step("/frobnicate now")
        check(any("I don't know the command /frobnicate" in m["text"] for m in fake.sent()), "unknown command")
        ok("unknown command answered with help")

        before = q(db, "select phase from consiliums")
        step("/decide@other_bot")
        check(q(db, "select phase from consiliums") == before, "a command for another bot was applied")
        check(q(db, "select count(*) from messages where text like '/decide%'")[0][0] == 0,
              "other bot's command recorded")
        ok("command for another bot ignored")

        e = step("Kotlin is fine", who="Carol")
        step("Kotlin is fine for services, not for the app", who="Carol", edited=e["message_id"])
        check(q(db, "select count(*) from messages where text='(edited) Kotlin is fine for services, not for the app'")[0][0] == 1,
              "edit not recorded")
        fake.ctl("update", {"raw": {"deleted_business_messages": {"chat": chat, "message_ids": [e["message_id"]]}}})
        fake.ctl("update", {"raw": {"message_reaction": {"chat": chat, "message_id": 3}}})
        step("After the deletion.", who="Carol")
        check(q(db, "select count(*) from messages where author='Carol'")[0][0] == 3, "deleted/reaction changed transcript")
        ok("edited message recorded as an edit; deleted and other updates ignored")

        # a 429 storm: everything is delivered, once, in order
        n_before = len(fake.sent())
        fake.ctl("storm", {"count": 4, "retry_after": 1})
        step("/status", who="Alice")
        step("/agenda", who="Alice")
        sent = fake.sent()[n_before:]
        check(len(sent) >= 2 and "Phase:" in sent[0]["text"], "storm: status lost or reordered")
        check(fake.ctl("state")["counts"]["429"] >= 4, "storm did not happen")
        check(q(db, "select count(*) from outbox where state=3")[0][0] == 0, "storm: a post failed")
        ok("429 storm waited out (retry_after), nothing lost or reordered")

        # supergroup migration mid-consilium
        fake.ctl("migrate", {"chat_id": -3003, "new_chat_id": -1003003})
        new_chat = {"id": -1003003, "type": "supergroup", "title": "Small"}
        rr = say(fake, new_chat, "Bob", "We moved to a supergroup, still about Kotlin.")
        wait_until("after migration", lambda: settled(db, fake, rr["update_id"], "polling"))
        keys = q(db, "select thread_key from consiliums where phase <> 'closed'")
        check(keys == [(f"telegram:-1003003:m{root}",)], f"consilium not moved: {keys}")
        rr = say(fake, new_chat, "Alice", "/status")
        wait_until("status in new chat", lambda: settled(db, fake, rr["update_id"], "polling"))
        last = fake.sent()[-1]
        check(last["chat_id"] == -1003003 and "Kotlin" in last["text"], "bot did not answer in the new chat")
        ok("supergroup migration moves the consilium to the new chat id")

        # several consiliums in one chat: only replies are attributed, said once
        chat2 = {"id": -4004, "type": "supergroup", "title": "Busy"}
        a = say(fake, chat2, "Alice", "/consilium Topic A?")
        wait_until("A", lambda: settled(db, fake, a["update_id"], "polling"))
        b = say(fake, chat2, "Bob", "/consilium Topic B?")
        wait_until("B", lambda: settled(db, fake, b["update_id"], "polling"))
        n0 = len(fake.sent())
        for text in ("Which one is this for?", "And this?"):
            rr = say(fake, chat2, "Carol", text)
            wait_until(text, lambda: settled(db, fake, rr["update_id"], "polling"))
        notes = [m for m in fake.sent()[n0:] if "Several consiliums are open" in m["text"]]
        check(len(notes) == 1, f"ambiguity notice sent {len(notes)} times")
        bot_msg = [m for m in fake.sent() if m["chat_id"] == -4004 and m["reply_to"] == a["message_id"]][0]
        rr = say(fake, chat2, "Carol", "For A: yes.", reply_to=bot_msg["message_id"])
        wait_until("reply", lambda: settled(db, fake, rr["update_id"], "polling"))
        row = q(db, "select c.thread_key from messages m join consiliums c on c.id = m.consilium_id "
                    "where m.text = 'For A: yes.'")
        check(row == [(f"telegram:-4004:m{a['message_id']}",)], f"reply attributed to {row}")
        # a reply to a human's message goes where that message went
        rr = say(fake, chat2, "Dave", "Agreed with Carol.", reply_to=rr["message_id"])
        wait_until("reply to a human", lambda: settled(db, fake, rr["update_id"], "polling"))
        row = q(db, "select c.thread_key from messages m join consiliums c on c.id = m.consilium_id "
                    "where m.text = 'Agreed with Carol.'")
        check(row == [(f"telegram:-4004:m{a['message_id']}",)], f"reply to a human attributed to {row}")
        check(q(db, "select count(*) from messages where text like 'Which one%' or text = 'And this?'")[0][0] == 0,
              "ambiguous messages attributed")
        ok("several consiliums: only replies attributed, the bot says so once")
        xio.stop()
    finally:
        xio.kill()
        fake.stop()


def lost_answers(tmp):
    """A sendMessage whose answer dies with the process, deterministically:
    accepted by Telegram (the restarted xio must find it in the chat and not
    send it again) and not accepted (it must send it)."""
    fake = FakeTelegram([(MAIN_TOKEN, "xio_bot")], 0, 0, 0)
    db = os.path.join(tmp, "lost.db")
    xio = Xio(tmp, fake, db, name="lost").start()
    try:
        for n, (accepted, chat_id) in enumerate(((True, -4004), (False, -4005))):
            chat = {"id": chat_id, "type": "supergroup", "title": f"Lost {n}"}
            fake.ctl("swallow", {"count": 1, "accepted": accepted})
            before = len(fake.sent())
            r = say(fake, chat, "Alice", f"/consilium Which database, round {n}?")
            if accepted:
                wait_until("the swallowed message", lambda: len(fake.sent()) > before)
            else:
                wait_until("the swallowed send", lambda: q(db, "select count(*) from outbox "
                                                           "where state=1")[0][0] > 0)
                time.sleep(0.3)
            xio.kill()
            xio.start()
            wait_until("settled after the restart",
                       lambda: settled(db, fake, r["update_id"], "polling"), 30)
            texts = [m["text"] for m in fake.sent() if m["chat_id"] == chat_id]
            check(texts and len(texts) == len(set(texts)),
                  f"a message was sent twice: {[t[:40] for t in texts]}")
            with open(xio.log) as f:
                log = f.read()
            if accepted:
                check("its lost answer was message" in log, "the lost message was not looked for")
                ok("an accepted send whose answer died is found in the chat, not sent again")
            else:
                check("not in chat -4005" in log, "the missing message was not looked for")
                check(any("Which database, round 1?" in t for t in texts),
                      "the message that never reached Telegram was not sent")
                ok("a send that never reached Telegram is found missing and sent")
        xio.stop()
    finally:
        xio.kill()
        fake.stop()


def readyz(xio):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{xio.http_port}/readyz", timeout=2) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return None, ""


def readiness(tmp):
    """/readyz follows the Bot API: 503 naming telegram while getMe is
    refused (a wrong token), 200 once it goes through."""
    fake = FakeTelegram([(MAIN_TOKEN, "xio_bot")], 0, 0, 0)
    xio = Xio(tmp, fake, os.path.join(tmp, "ready.db"), extra={"telegram.bot_token": "999:wrong"},
              name="ready-bad").start()
    try:
        wait_until("a 503 from /readyz", lambda: readyz(xio)[0] == 503)
        code, body = readyz(xio)
        check(json.loads(body).get("not_ready") == ["telegram"], f"/readyz does not name telegram: {body}")

        def logged_why():
            readyz(xio)  # each answer logs its reason: once getMe was refused, that one
            with open(xio.log) as f:
                return "not ready: telegram: not connected yet; getMe: 401 Unauthorized" in f.read()
        wait_until("the log to say why telegram is not ready", logged_why)
        # the getMe the adapter sends again counts as a retry of the Bot API
        with urllib.request.urlopen(f"http://127.0.0.1:{xio.http_port}/metrics", timeout=2) as r:
            m = re.search(r'^xio_http_retries_total\{api="telegram"\} (\d+)', r.read().decode(), re.M)
        check(m and int(m.group(1)) >= 1, "xio_http_retries_total{api=\"telegram\"} does not count getMe's retries")
        xio.stop()
        ok("/readyz answers 503 naming telegram while getMe is refused, the log says why")
        xio = Xio(tmp, fake, os.path.join(tmp, "ready.db"), name="ready-good").start()
        wait_until("a 200 from /readyz", lambda: readyz(xio)[0] == 200)
        xio.stop()
        ok("/readyz answers 200 once Telegram is connected")
    finally:
        xio.kill()
        fake.stop()


def main():
    tmp = tempfile.mkdtemp(prefix="xio-tg-")
    which = sys.argv[1:] or ["forum", "webhook", "edge", "lost", "ready"]
    try:
        for name in which:
            {"forum": forum_polling, "webhook": group_webhook_personas, "edge": edge_cases,
             "lost": lost_answers, "ready": readiness}[name](tmp)
    except Fail as e:
        print(f"FAIL: {e}")
        for f in sorted(os.listdir(tmp)):
            if f.endswith(".log"):
                print(f"--- {f} (tail)")
                with open(os.path.join(tmp, f)) as fh:
                    print("".join(fh.readlines()[-30:]))
        return 1
    print(f"{passed} passed, 0 failed")
    import shutil
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
