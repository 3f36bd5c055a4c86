#!/usr/bin/env python3
"""fake_notion.py — a local Notion API for the export tests.

Binds 127.0.0.1 on a free port (port 0), prints the port on stdout and, with
--port-file F, writes it to F (atomically) once it listens.  Exits on
SIGTERM, or by itself when its parent process goes away.

It speaks the parts of the Notion REST API v1 XIO uses, with the real error
envelope {"object":"error","status","code","message"}:

  GET   /v1/databases/{id}             2022-06-28: properties; 2025-09-03: data_sources
  GET   /v1/data_sources/{id}          2025-09-03 only
  POST  /v1/databases/{id}/query       2022-06-28 only
  POST  /v1/data_sources/{id}/query    2025-09-03 only
  POST  /v1/pages                      parent database_id / data_source_id
  PATCH /v1/pages/{id}                 properties
  GET   /v1/blocks/{id}/children       start_cursor, page_size (<= 100)
  PATCH /v1/blocks/{id}/children       append children

Checks: Authorization (401 unauthorized), Notion-Version (400
missing_version), JSON (400 invalid_json), the database being shared (404
object_not_found), property names and types against the database schema
(400 validation_error naming the property), 2000 characters per rich text
content (counted in UTF-16 units, as JavaScript does), 100 rich text items,
100 block children per request, 1000 blocks and 500 KB per payload, 100
relations / people / multi-select options.  Rate limit: a token bucket per
integration token (--rate, --burst); over it, 429 rate_limited with
Retry-After (seconds).

The schema comes from --schema FILE (JSON: {"databases": {id: {"title":
..., "data_source_id": ..., "properties": {name: type}}}}) or the built-in
default below.

Control endpoints (no auth):
  POST /_fake/faults  {"rate":0.3, "kinds":["500","429","timeout","lost"],
                       "seed":1, "stall_ms":1500}
      a random share of the API requests fails: 500 internal_server_error,
      429 rate_limited, "timeout" (holds the request stall_ms, then closes
      without answering, doing nothing) or "lost" (performs the request and
      then closes without answering: the client never learns it succeeded).
      {"rate":0} turns faults off.  "only" (a list of "METHOD /v1/prefix")
      limits faults to matching requests.
  POST /_fake/limits  {"rate": r, "burst": b}: the per-integration bucket
  POST /_fake/schema  the same JSON as --schema: replaces the databases
  GET  /_fake/state   {"pages": [...], "blocks": {page_id: [...]},
                       "requests": n, "faults": n, "rate_limited": n}
  POST /_fake/reset   drops every page and counter
"""
import argparse
import copy
import json
import os
import random
import re
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

VERSIONS = ("2022-06-28", "2025-09-03")
TOKEN = "secret_fake_token"
MAX_PAYLOAD = 500 * 1024

DEFAULT_SCHEMA = {
    "databases": {
        "dec-db": {
            "title": "Decisions",
            "data_source_id": "dec-ds",
            "properties": {
                "Name": "title", "Status": "select", "Date": "date",
                "Decision": "rich_text", "Participants": "multi_select",
                "Risk priority": "select", "Thread": "url", "XIO key": "rich_text",
            },
        },
        "task-db": {
            "title": "Tasks",
            "data_source_id": "task-ds",
            "properties": {
                "Name": "title", "Owner": "people", "Owner name": "rich_text",
                "Due": "date", "Priority": "select", "Status": "select",
                "Confidence": "number", "Source": "rich_text",
                "Decision": "relation", "XIO key": "rich_text",
            },
        },
    }
}

LOCK = threading.Lock()
STOP = threading.Event()


class State:
    def __init__(self, schema):
        self.set_schema(schema)
        self.reset()
        self.faults = {"rate": 0.0, "kinds": ["500"], "stall_ms": 1500, "only": None}
        self.rng = random.Random(1)

    def set_schema(self, schema):
        self.dbs = copy.deepcopy(schema["databases"])
        self.ds = {d["data_source_id"]: k for k, d in self.dbs.items() if d.get("data_source_id")}

    def reset(self):
        self.pages = {}     # id -> page
        self.order = []     # page ids in creation order
        self.blocks = {}    # page id -> [block]
        self.requests = 0
        self.nfaults = 0
        self.rate_limited = 0
        self.buckets = {}   # token -> [tokens, last]


ST = None
ARGS = None


class ApiError(Exception):
    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


def utf16_len(s):
    return len(s.encode("utf-16-le")) // 2


def check_rich_text(arr, path):
    if not isinstance(arr, list):
        raise ApiError(400, "validation_error", f"{path} should be an array, instead was `{json.dumps(arr)[:50]}`.")
    if len(arr) > 100:
        raise ApiError(400, "validation_error", f"{path}.length should be ≤ `100`, instead was `{len(arr)}`.")
    out = []
    for i, item in enumerate(arr):
        if not isinstance(item, dict) or item.get("type", "text") != "text" or not isinstance(item.get("text"), dict):
            raise ApiError(400, "validation_error", f"{path}[{i}] should be a text rich text object.")
        content = item["text"].get("content")
        if not isinstance(content, str):
            raise ApiError(400, "validation_error", f"{path}[{i}].text.content should be a string.")
        if utf16_len(content) > 2000:
            raise ApiError(400, "validation_error",
                           f"{path}[{i}].text.content.length should be ≤ `2000`, instead was `{utf16_len(content)}`.")
        link = item["text"].get("link")
        rt = {"type": "text", "text": {"content": content, "link": link},
              "plain_text": content, "href": (link or {}).get("url") if isinstance(link, dict) else None}
        out.append(rt)
    return out


DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$")


def check_value(name, ptype, value, pages):
    path = f"body.properties.{name}"
    if not isinstance(value, dict):
        raise ApiError(400, "validation_error", f"{path} should be an object.")
    keys = [k for k in value if k not in ("type", "id")]
    if len(keys) != 1 or keys[0] != ptype:
        raise ApiError(400, "validation_error",
                       f"{path}.{keys[0] if keys else 'type'} should be not present, "
                       f"instead was `{json.dumps(value)[:60]}`. {name} is expected to be {ptype}.")
    v = value[ptype]
    if ptype in ("title", "rich_text"):
        return {ptype: check_rich_text(v, f"{path}.{ptype}")}
    if ptype == "number":
        if v is not None and not isinstance(v, (int, float)):
            raise ApiError(400, "validation_error", f"{path}.number should be a number or `null`.")
        return {ptype: v}
    if ptype == "url":
        if v is not None and (not isinstance(v, str) or len(v) > 2000):
            raise ApiError(400, "validation_error", f"{path}.url should be a string or `null`.")
        return {ptype: v}
    if ptype in ("select", "status"):
        if v is not None and (not isinstance(v, dict) or not isinstance(v.get("name"), str) or "," in v["name"]):
            raise ApiError(400, "validation_error", f"{path}.{ptype}.name should be a string without commas.")
        return {ptype: v}
    if ptype == "multi_select":
        if not isinstance(v, list) or len(v) > 100:
            raise ApiError(400, "validation_error", f"{path}.multi_select should be an array of ≤ 100 options.")
        for o in v:
            if not isinstance(o, dict) or not isinstance(o.get("name"), str) or "," in o["name"] or not o["name"]:
                raise ApiError(400, "validation_error", f"{path}.multi_select names should be non-empty, without commas.")
        return {ptype: v}
    if ptype == "date":
        if v is None:
            return {ptype: None}
        if not isinstance(v, dict) or not isinstance(v.get("start"), str) or not DATE_RE.match(v["start"]):
            raise ApiError(400, "validation_error", f"{path}.date.start should be an ISO 8601 date.")
        return {ptype: v}
    if ptype in ("people", "relation"):
        if not isinstance(v, list) or len(v) > 100:
            raise ApiError(400, "validation_error", f"{path}.{ptype} should be an array of ≤ 100 objects.")
        for o in v:
            if not isinstance(o, dict) or not isinstance(o.get("id"), str):
                raise ApiError(400, "validation_error", f"{path}.{ptype} items should have an id.")
            if ptype == "relation" and o["id"] not in pages:
                raise ApiError(404, "object_not_found",
                               f"Could not find page with ID: {o['id']}. Make sure the relevant pages and databases are shared with your integration.")
        return {ptype: v}
    raise ApiError(400, "validation_error", f"{path}: type {ptype} is not supported by the fake.")


def check_blocks(children, path="body.children"):
    if not isinstance(children, list):
        raise ApiError(400, "validation_error", f"{path} should be an array.")
    if len(children) > 100:
        raise ApiError(400, "validation_error", f"{path}.length should be ≤ `100`, instead was `{len(children)}`.")
    out = []
    for i, b in enumerate(children):
        if not isinstance(b, dict) or not isinstance(b.get("type"), str) or not isinstance(b.get(b["type"]), dict):
            raise ApiError(400, "validation_error", f"{path}[{i}] should be a block object.")
        t = b["type"]
        if t not in ("paragraph", "heading_1", "heading_2", "heading_3", "bulleted_list_item",
                     "numbered_list_item", "quote", "callout", "divider", "to_do"):
            raise ApiError(400, "validation_error", f"{path}[{i}].type `{t}` is not supported.")
        body = dict(b[t])
        if t != "divider":
            body["rich_text"] = check_rich_text(body.get("rich_text"), f"{path}[{i}].{t}.rich_text")
        if "children" in body:
            raise ApiError(400, "validation_error", f"{path}[{i}].{t}.children: nesting is not supported by the fake.")
        out.append({"object": "block", "id": str(uuid.uuid4()), "type": t, t: body, "has_children": False})
    return out


def plain(rt):
    return "".join(x.get("plain_text", "") for x in rt or [])


def match_filter(page, flt, db):
    if not flt:
        return True
    name = flt.get("property")
    props = db["properties"]
    if name not in props:
        raise ApiError(400, "validation_error", f"Could not find property with name or id: {name}")
    ptype = props[name]
    cond = flt.get(ptype) if ptype in ("rich_text", "title") else None
    if not isinstance(cond, dict):
        raise ApiError(400, "validation_error", f"body.filter.{ptype} should be defined for property {name}.")
    text = plain(page["properties"].get(name, {}).get(ptype))
    if "equals" in cond:
        return text == cond["equals"]
    if "starts_with" in cond:
        return text.startswith(cond["starts_with"])
    if "contains" in cond:
        return cond["contains"] in text
    raise ApiError(400, "validation_error", "body.filter: unsupported condition.")


def public_props(db):
    return {n: {"id": n[:4], "name": n, "type": t, t: {}} for n, t in db["properties"].items()}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake_notion/1"

    def log_message(self, fmt, *args):
        pass

    def send_json(self, status, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def send_error_env(self, e):
        self.send_json(e.status, {"object": "error", "status": e.status, "code": e.code,
                                  "message": e.message, "request_id": str(uuid.uuid4())}, e.headers)

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(2)
        except OSError:
            pass

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def handle_any(self, method):
        url = urlsplit(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if url.path.startswith("/_fake/"):
            return self.control(method, url.path, raw)
        fault = None
        with LOCK:
            ST.requests += 1
            only = ST.faults.get("only")
            eligible = not only or any(f"{method} {url.path}".startswith(o) for o in only)
            if eligible and ST.faults["rate"] > 0 and ST.rng.random() < ST.faults["rate"]:
                fault = ST.rng.choice(ST.faults["kinds"])
                ST.nfaults += 1
        try:
            self.auth_and_rate()
            if fault == "500":
                raise ApiError(500, "internal_server_error", "Unexpected error occurred.")
            if fault == "429":
                with LOCK:
                    ST.rate_limited += 1
                raise ApiError(429, "rate_limited", "You have been rate limited. Please try again in a few minutes.",
                               {"Retry-After": "0"})
            if fault == "timeout":
                time.sleep(ST.faults["stall_ms"] / 1000.0)
                return self.drop()
            with LOCK:
                status, obj = self.route(method, url, raw)
            if fault == "lost":
                return self.drop()
            self.send_json(status, obj)
        except ApiError as e:
            self.send_error_env(e)

    def auth_and_rate(self):
        auth = self.headers.get("Authorization", "")
        if auth != "Bearer " + ARGS.token:
            raise ApiError(401, "unauthorized", "API token is invalid.")
        ver = self.headers.get("Notion-Version")
        if not ver:
            raise ApiError(400, "missing_version", "Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.")
        if ver not in VERSIONS:
            raise ApiError(400, "invalid_request", f"Notion-Version {ver} is not supported by the fake.")
        now = time.monotonic()
        with LOCK:
            b = ST.buckets.setdefault(ARGS.token, [ARGS.burst, now])
            b[0] = min(ARGS.burst, b[0] + (now - b[1]) * ARGS.rate)
            b[1] = now
            if b[0] < 1:
                ST.rate_limited += 1
                wait = max(1, int((1 - b[0]) / ARGS.rate + 0.999))
                raise ApiError(429, "rate_limited", "You have been rate limited. Please try again in a few minutes.",
                               {"Retry-After": str(wait if ARGS.retry_after < 0 else ARGS.retry_after)})
            b[0] -= 1

    def version(self):
        return self.headers.get("Notion-Version")

    def body(self, raw):
        if len(raw) > MAX_PAYLOAD:
            raise ApiError(413, "validation_error", f"Request body too large: {len(raw)} bytes > {MAX_PAYLOAD}.")
        try:
            obj = json.loads(raw.decode() if raw else "{}")
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "invalid_json", "Error parsing JSON body.")
        if not isinstance(obj, dict):
            raise ApiError(400, "invalid_json", "Error parsing JSON body.")
        return obj

    def db_by_id(self, dbid):
        if dbid not in ST.dbs or ST.dbs[dbid].get("unshared"):
            raise ApiError(404, "object_not_found",
                           f"Could not find database with ID: {dbid}. Make sure the relevant pages and databases are shared with your integration.")
        return ST.dbs[dbid]

    def ds_by_id(self, dsid):
        if dsid not in ST.ds:
            raise ApiError(404, "object_not_found",
                           f"Could not find data_source with ID: {dsid}. Make sure the relevant pages and databases are shared with your integration.")
        return ST.ds[dsid], self.db_by_id(ST.ds[dsid])

    def route(self, method, url, raw):
        if url.path.rstrip("/") == "/v1/pages" and method == "POST":
            return self.create_page(raw)
        p = url.path.rstrip("/").split("/")[1:]
        v = self.version()
        new = v == "2025-09-03"
        if p[:1] != ["v1"] or len(p) < 3:
            raise ApiError(400, "invalid_request_url", "Invalid request URL.")
        kind, oid, rest = p[1], p[2], p[3:]
        if kind == "databases" and method == "GET" and not rest:
            db = self.db_by_id(oid)
            obj = {"object": "database", "id": oid,
                   "title": [{"type": "text", "text": {"content": db["title"]}, "plain_text": db["title"]}]}
            if new:
                obj["data_sources"] = [{"id": db["data_source_id"], "name": db["title"]}]
            else:
                obj["properties"] = public_props(db)
            return 200, obj
        if kind == "data_sources" and method == "GET" and not rest and new:
            dbid, db = self.ds_by_id(oid)
            return 200, {"object": "data_source", "id": oid, "properties": public_props(db),
                         "parent": {"type": "database_id", "database_id": dbid}}
        if rest == ["query"] and method == "POST" and ((kind == "databases" and not new) or (kind == "data_sources" and new)):
            if new:
                dbid, db = self.ds_by_id(oid)
            else:
                dbid, db = oid, self.db_by_id(oid)
            req = self.body(raw)
            size = int(req.get("page_size") or 100)
            if size < 1 or size > 100:
                raise ApiError(400, "validation_error", "body.page_size should be ≤ `100`.")
            hits = [ST.pages[i] for i in ST.order
                    if ST.pages[i]["_db"] == dbid and not ST.pages[i]["archived"]
                    and match_filter(ST.pages[i], req.get("filter"), db)]
            start = int(req.get("start_cursor") or 0)
            chunk = hits[start:start + size]
            more = start + size < len(hits)
            return 200, {"object": "list", "results": [self.public_page(x) for x in chunk],
                         "next_cursor": str(start + size) if more else None, "has_more": more,
                         "type": "page_or_data_source" if new else "page"}
        if kind == "blocks" and rest == ["children"]:
            if oid not in ST.pages:
                raise ApiError(404, "object_not_found", f"Could not find block with ID: {oid}.")
            if method == "GET":
                q = parse_qs(url.query)
                size = int(q.get("page_size", ["100"])[0])
                start = int(q.get("start_cursor", ["0"])[0])
                if size < 1 or size > 100:
                    raise ApiError(400, "validation_error", "page_size should be ≤ `100`.")
                bl = ST.blocks.get(oid, [])
                more = start + size < len(bl)
                return 200, {"object": "list", "results": bl[start:start + size],
                             "next_cursor": str(start + size) if more else None, "has_more": more}
            if method == "PATCH":
                req = self.body(raw)
                new_blocks = check_blocks(req.get("children"))
                if len(ST.blocks.get(oid, [])) + len(new_blocks) > ARGS.max_page_blocks:
                    raise ApiError(400, "validation_error", "The page has too many blocks for the fake.")
                ST.blocks.setdefault(oid, []).extend(new_blocks)
                return 200, {"object": "list", "results": new_blocks, "next_cursor": None, "has_more": False}
        if kind == "pages" and method == "PATCH" and not rest:
            if oid not in ST.pages:
                raise ApiError(404, "object_not_found", f"Could not find page with ID: {oid}.")
            page = ST.pages[oid]
            req = self.body(raw)
            db = ST.dbs[page["_db"]]
            props = self.check_props(req.get("properties") or {}, db, require_title=False)
            page["properties"].update(props)
            return 200, self.public_page(page)
        raise ApiError(400, "invalid_request_url", f"Invalid request URL: {method} {url.path}.")

    def check_props(self, props, db, require_title):
        if not isinstance(props, dict):
            raise ApiError(400, "validation_error", "body.properties should be an object.")
        out = {}
        for name, value in props.items():
            if name not in db["properties"]:
                raise ApiError(400, "validation_error", f"{name} is not a property that exists.")
            out[name] = dict(check_value(name, db["properties"][name], value, ST.pages),
                             type=db["properties"][name], id=name[:4])
        if require_title and not any(t == "title" and n in out for n, t in db["properties"].items()):
            raise ApiError(400, "validation_error", "body.properties: the title property is required.")
        return out

    def create_page(self, raw):
        req = self.body(raw)
        parent = req.get("parent")
        new = self.version() == "2025-09-03"
        if not isinstance(parent, dict):
            raise ApiError(400, "validation_error", "body.parent should be defined, instead was `undefined`.")
        if new and "data_source_id" in parent:
            dbid, db = self.ds_by_id(parent["data_source_id"])
        elif "database_id" in parent:
            dbid, db = parent["database_id"], self.db_by_id(parent["database_id"])
        else:
            raise ApiError(400, "validation_error", "body.parent.database_id should be defined, instead was `undefined`.")
        props = self.check_props(req.get("properties"), db, require_title=True)
        children = check_blocks(req.get("children", []))
        pid = str(uuid.uuid4())
        page = {"object": "page", "id": pid, "_db": dbid, "archived": False,
                "created_time": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "url": "https://www.notion.so/" + pid.replace("-", ""), "properties": props}
        ST.pages[pid] = page
        ST.order.append(pid)
        ST.blocks[pid] = children
        return 200, self.public_page(page)

    def public_page(self, page):
        out = {k: v for k, v in page.items() if not k.startswith("_")}
        if self.version() == "2025-09-03":
            out["parent"] = {"type": "data_source_id", "data_source_id": ST.dbs[page["_db"]]["data_source_id"],
                             "database_id": page["_db"]}
        else:
            out["parent"] = {"type": "database_id", "database_id": page["_db"]}
        return out

    def control(self, method, path, raw):
        try:
            obj = json.loads(raw.decode() or "{}")
        except ValueError:
            return self.send_json(400, {"error": "bad json"})
        with LOCK:
            if path == "/_fake/faults" and method == "POST":
                ST.faults.update({k: obj[k] for k in ("rate", "kinds", "stall_ms", "only") if k in obj})
                if "seed" in obj:
                    ST.rng = random.Random(obj["seed"])
                return self.send_json(200, ST.faults)
            if path == "/_fake/limits" and method == "POST":
                ARGS.rate = float(obj.get("rate", ARGS.rate))
                ARGS.burst = float(obj.get("burst", ARGS.burst))
                ST.buckets = {}
                return self.send_json(200, {"rate": ARGS.rate, "burst": ARGS.burst})
            if path == "/_fake/schema" and method == "POST":
                ST.set_schema(obj)
                return self.send_json(200, {"ok": True})
            if path == "/_fake/reset" and method == "POST":
                ST.reset()
                return self.send_json(200, {"ok": True})
            if path == "/_fake/state" and method == "GET":
                pages = []
                for i in ST.order:
                    p = ST.pages[i]
                    pages.append({"id": i, "db": p["_db"], "url": p["url"], "properties": p["properties"]})
                return self.send_json(200, {"pages": pages, "blocks": ST.blocks, "requests": ST.requests,
                                            "faults": ST.nfaults, "rate_limited": ST.rate_limited})
        self.send_json(404, {"error": "no such control"})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True


def watch_parent(server, ppid):
    while not STOP.wait(0.2):
        if os.getppid() != ppid:
            STOP.set()
            server.shutdown()


def main():
    global ST, ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file")
    ap.add_argument("--schema")
    ap.add_argument("--token", default=TOKEN)
    ap.add_argument("--rate", type=float, default=3.0, help="requests/s per integration")
    ap.add_argument("--burst", type=float, default=10.0)
    ap.add_argument("--retry-after", type=int, default=-1, help="fixed Retry-After seconds for 429s")
    ap.add_argument("--max-page-blocks", type=int, default=100000)
    ARGS = ap.parse_args()
    schema = DEFAULT_SCHEMA
    if ARGS.schema:
        with open(ARGS.schema) as f:
            schema = json.load(f)
    ST = State(schema)
    server = Server(("127.0.0.1", 0), Handler)
    port = server.server_address[1]

    def on_term(signum, frame):
        STOP.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    threading.Thread(target=watch_parent, args=(server, os.getppid()), daemon=True).start()
    if ARGS.port_file:
        tmp = ARGS.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, ARGS.port_file)
    print(port, flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        STOP.set()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
