#!/usr/bin/env bash
# What can be checked of the deploy files on this machine:
#   - the systemd unit passes `systemd-analyze verify` (skipped with a
#     message where systemd-analyze is missing)
#   - every YAML and JSON file under deploy/ and .github/ parses; the
#     Kubernetes manifests have the kinds and probes the docs promise
#   - the XIO config embedded in the ConfigMap passes `xio check-config`
#   - the dashboard's and alert rules' metric names exist in a live /metrics
#   - the Dockerfile's build-stage RUN steps, run as a script, build xio in a
#     temporary directory from the committed sources (apt-get steps are
#     replaced by a check that their packages are installed)
set -euo pipefail
SRC=${XIO_SOURCE_DIR:?}
BIN=${XIO_BIN:?}
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
pass=0
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok - $*"; pass=$((pass + 1)); }

# 1. systemd unit
if command -v systemd-analyze >/dev/null 2>&1; then
  sed "s|/usr/local/bin/xio|$BIN|" "$SRC/deploy/xio.service" > "$tmp/xio.service"
  out=$(systemd-analyze verify "$tmp/xio.service" 2>&1 || true)
  # Complaints about the host (no running systemd in a container) are not
  # about the unit; anything naming the unit file is.
  if printf '%s\n' "$out" | grep -E 'xio\.service' | grep -vE 'Failed to (connect|create)|not executable' ; then
    fail "systemd-analyze verify complains about deploy/xio.service"
  fi
  grep -q '^DynamicUser=yes' "$SRC/deploy/xio.service" || fail "unit lacks DynamicUser"
  grep -q '^ProtectSystem=strict' "$SRC/deploy/xio.service" || fail "unit lacks ProtectSystem=strict"
  grep -q '^NoNewPrivileges=yes' "$SRC/deploy/xio.service" || fail "unit lacks NoNewPrivileges"
  grep -q '^StateDirectory=xio' "$SRC/deploy/xio.service" || fail "unit lacks StateDirectory"
  ok "systemd-analyze verify deploy/xio.service"
else
  echo "skip - systemd-analyze not installed: deploy/xio.service not verified"
fi

# 2. YAML / JSON well-formed, Kubernetes kinds and probes
python3 - "$SRC" "$tmp" <<'PY'
import json, sys, pathlib
src, tmp = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
try:
    import yaml
except ImportError:
    yaml = None
files = sorted(list((src / "deploy").rglob("*.yml")) + list((src / "deploy").rglob("*.yaml")) +
               list((src / ".github").rglob("*.yml")))
for f in sorted((src / "deploy").rglob("*.json")) + [src / "config/openapi.json"]:
    json.loads(f.read_text())
if yaml is None:
    print("skip - python3-yaml missing: YAML files not parsed")
    sys.exit(0)
docs = {}
for f in files:
    docs[f] = [d for d in yaml.safe_load_all(f.read_text()) if d is not None]
    assert docs[f], f"{f}: empty"
k8s = docs[src / "deploy/k8s/xio.yaml"]
kinds = {d["kind"] for d in k8s + docs[src / "deploy/k8s/servicemonitor.yaml"]}
need = {"Deployment", "ConfigMap", "Secret", "PersistentVolumeClaim", "Service", "ServiceMonitor"}
assert need <= kinds, f"k8s lacks {need - kinds}"
dep = next(d for d in k8s if d["kind"] == "Deployment")
c = dep["spec"]["template"]["spec"]["containers"][0]
assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
# a locally built image must not be pulled: :latest defaults to Always
assert c.get("imagePullPolicy") == "IfNotPresent", c.get("imagePullPolicy")
cm = next(d for d in k8s if d["kind"] == "ConfigMap")
(tmp / "k8s-xio.yaml").write_text(cm["data"]["xio.yaml"])
compose = docs[src / "deploy/compose.yaml"][0]
assert {"xio", "prometheus", "grafana"} <= set(compose["services"])
rules = docs[src / "deploy/prometheus/alerts.yml"][0]
names = {r["alert"] for g in rules["groups"] for r in g["rules"]}
assert {"XioOutboxStuck", "XioExportFailures", "XioLoopLag"} <= names, names
exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
dash = json.loads((src / "deploy/grafana/xio-dashboard.json").read_text())
exprs += [t["expr"] for p in dash["panels"] for t in p["targets"]]
(tmp / "exprs.txt").write_text("\n".join(exprs) + "\n")
print(f"parsed {len(files)} YAML files and the JSON files")
PY
ok "deploy YAML and JSON parse; k8s has its kinds and /healthz, /readyz probes"

# 3. the ConfigMap's config and the image's are valid XIO config
XIO_API_TOKEN=dummy-token-for-check "$BIN" check-config "$tmp/k8s-xio.yaml" >/dev/null ||
  fail "the ConfigMap's xio.yaml does not pass xio check-config"
"$BIN" check-config "$SRC/deploy/container.yaml" >/dev/null ||
  fail "deploy/container.yaml does not pass xio check-config"
# The image sets no XIO_* variable: one would silently win over every
# config file mounted over /etc/xio/xio.yaml.
if grep -E '^ENV .*XIO_|^ +XIO_[A-Z_]+=' "$SRC/deploy/Dockerfile"; then
  fail "deploy/Dockerfile sets XIO_* variables, which override mounted configs"
fi
ok "ConfigMap xio.yaml and deploy/container.yaml pass xio check-config"

# 4. metric names used by the dashboard and alerts exist
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
# Telegram at a closed port: the outside-API series exist (and count its
# failed attempts) without an account
XIO_HTTP_PORT=$port XIO_STORE_PATH=$tmp/x.db XIO_CHAT_ADAPTERS=console,telegram XIO_HTTP_API_TOKEN=tok-tok \
  XIO_TELEGRAM_BOT_TOKEN=1:deploy-test XIO_TELEGRAM_API_URL=http://127.0.0.1:1 \
  "$BIN" run < <(printf '/consilium Which dashboard?\nThis one.\n'; sleep 30) > "$tmp/run.out" 2> "$tmp/run.err" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -s -H 'Authorization: Bearer tok-tok' "http://127.0.0.1:$port/api/consiliums" >/dev/null
for _ in $(seq 50); do curl -s "http://127.0.0.1:$port/metrics" | grep -q '^xio_chat_messages_total' &&
  curl -s "http://127.0.0.1:$port/metrics" | grep -q '^xio_http_responses_total' && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/metrics" > "$tmp/metrics.txt" || fail "no /metrics"
# The image's HEALTHCHECK command, run as the image's /bin/sh would run it:
# healthy against the live server, unhealthy once it is gone.
hc=$(sed -n 's/^HEALTHCHECK .* CMD //p' "$SRC/deploy/Dockerfile")
[ -n "$hc" ] || fail "no HEALTHCHECK in deploy/Dockerfile"
XIO_HTTP_PORT=$port timeout 5 sh -c "$hc" || fail "the HEALTHCHECK fails against a healthy xio: $hc"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
if XIO_HTTP_PORT=$port timeout 5 sh -c "$hc" 2>/dev/null; then
  fail "the HEALTHCHECK passes with xio stopped: $hc"
fi
ok "the Dockerfile's HEALTHCHECK tells a running xio from a stopped one"
missing=0
for m in $(grep -oE 'xio_[a-z_]+' "$tmp/exprs.txt" | sed -E 's/_(bucket|sum|count)$//' | sort -u); do
  grep -qE "^(# TYPE )?$m(_bucket|_sum|_count)?[ {]" "$tmp/metrics.txt" || { echo "missing metric: $m"; missing=1; }
done
[ $missing = 0 ] || fail "the dashboard or alerts use metrics /metrics does not have"
ok "every metric of the dashboard and alert rules is exported"

# 5. the Dockerfile's build steps as a script
for p in $(sed -n '/^FROM .* AS build/,/^FROM /p' "$SRC/deploy/Dockerfile" |
           tr -d '\\' | grep -oE '\blib[a-z0-9.+-]+-dev\b|\blibwebsockets-evlib-uv\b|\bcmake\b|\bpkg-config\b' | sort -u); do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || fail "build package $p not installed"
done
mkdir -p "$tmp/src" "$tmp/out"
(cd "$SRC" && git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} cp --parents {} "$tmp/src/")
# The RUN after COPY, with the image's paths moved into the temp dir.
script=$(awk '/^COPY \. \./{f=1;next} f&&/^RUN /{r=1} r{print} r&&!/\\$/{exit}' "$SRC/deploy/Dockerfile" |
         sed -e 's/^RUN //' -e "s|/build|$tmp/build|g" -e "s|/out/|$tmp/out/|g" -e "s|-S \. |-S $tmp/src |")
[ -n "$script" ] || fail "no build RUN step found in deploy/Dockerfile"
(cd "$tmp/src" && bash -euo pipefail -c "$script") > "$tmp/docker-build.log" 2>&1 ||
  { tail -n 30 "$tmp/docker-build.log"; fail "the Dockerfile's build steps failed"; }
"$tmp/out/usr/local/bin/xio" check-config --print-example >/dev/null || fail "built xio does not run"
ok "the Dockerfile's build steps build a working xio"
echo "$pass passed, 0 failed"
