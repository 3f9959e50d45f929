#!/usr/bin/env bash
# clients/vscode/e2e/run.sh — end-to-end test of the SourcePacker extension in a real VS Code.
#
#   bash clients/vscode/e2e/setup.sh && SOURCEPACKER_PYTHON=/path/to/python bash clients/vscode/e2e/run.sh
#
# 1. build the extension's platform .vsix (`npm ci` when node_modules is missing, then
#    `npm run package -- --target linux-x64`: sourcepacker and its dependencies bundled inside)
# 2. the daemon's interpreter: a bare venv WITHOUT sourcepacker (the bundle must serve); the CLI
#    oracle the counts are checked against: $SOURCEPACKER_PYTHON (must `import sourcepacker`),
#    else a fresh venv with the repository installed into it
# 3. a fixture workspace (folders, ~20 small text files, a .gitignore, a binary file) and a fresh
#    code-server profile + extensions dir under a short `mktemp -d /tmp/sp.XXXX`
# 4. code-server 4.139.1 (VS Code 1.139.1) on 127.0.0.1:<free port>, driven by headless Chromium
#    through playwright-core (e2e.cjs): tree with counts, ticks, status bar, copy, clipboard,
#    token counts against the CLI, live update after an edit on disk; screenshots
# 5. stop code-server by its process group
# Last line: "e2e: N passed, M failed"; exit 0 only when everything passed.
#
# Env knobs:
#   SOURCEPACKER_PYTHON        interpreter with `sourcepacker` installed, for the CLI oracle (CI passes it)
#   E2E_TARGET                 vsce target of the .vsix (default: linux-x64 or linux-arm64 by uname -m)
#   SOURCEPACKER_E2E_HOME      prefix made by setup.sh (default $HOME/.cache/sourcepacker-e2e)
#   SOURCEPACKER_E2E_ARTIFACTS screenshots + logs (default clients/vscode/e2e/artifacts)
#   E2E_TIMEOUT_MS             per-wait timeout in the browser driver (default 120000)
#   E2E_VSIX=file              install this .vsix instead of building the extension
#   E2E_DRIVER=file            another playwright script (default e2e.cjs beside this file)
#   KEEP_SERVER=1              leave code-server running for manual poking (prints PID, port)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
EXT_DIR=$(cd "$HERE/.." && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
PREFIX=${SOURCEPACKER_E2E_HOME:-$HOME/.cache/sourcepacker-e2e}
ART=${SOURCEPACKER_E2E_ARTIFACTS:-$HERE/artifacts}
DRIVER=${E2E_DRIVER:-$HERE/e2e.cjs}
export E2E_TIMEOUT_MS=${E2E_TIMEOUT_MS:-120000}

fail() { echo "run.sh: $*" >&2; echo "e2e: 0 passed, 1 failed"; exit 1; }
[ -f "$PREFIX/env.sh" ] || fail "no $PREFIX/env.sh: run clients/vscode/e2e/setup.sh first"
# shellcheck disable=SC1091
source "$PREFIX/env.sh"      # PATH: Node 24 + code-server wrapper; PW_CORE
unset npm_config_nodedir     # only setup.sh needs it (node-gyp); npm 11 warns about it
export npm_config_cache=${NPM_CACHE:-$PREFIX/.npm-cache}
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
export PIP_DISABLE_PIP_VERSION_CHECK=1

mkdir -p "$ART"
ART=$(cd "$ART" && pwd)
rm -rf "$ART/logs" "$ART"/*.png "$ART"/report.json
mkdir -p "$ART/logs"
LOGS=$ART/logs
# Short scratch dir: VS Code puts unix sockets in TMPDIR and the user-data-dir (< 108 bytes).
RUN_TMP=$(mktemp -d /tmp/sp.XXXX)
CS_PID=
T0=$SECONDS
lap() { printf 'run.sh: %-20s %4ds (t=%ds)\n' "$1" "$((SECONDS - $2))" "$((SECONDS - T0))" | tee -a "$LOGS/times.txt"; }

stop_server() {
  [ -n "${CS_PID:-}" ] || return 0
  if [ "${KEEP_SERVER:-0}" = 1 ]; then
    echo "run.sh: code-server left running: pid $CS_PID, http://127.0.0.1:$PORT, scratch $RUN_TMP"
    return 0
  fi
  # setsid made CS_PID a process-group leader: the group is code-server and all it spawned
  # (server, extension host, the SourcePacker daemon, its tokenizer workers).
  kill -TERM -- "-$CS_PID" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 -- "-$CS_PID" 2>/dev/null || break; sleep 0.5; done
  kill -KILL -- "-$CS_PID" 2>/dev/null || true
  wait "$CS_PID" 2>/dev/null || true
  CS_PID=
}
save_logs() {   # VS Code's own logs (server, extension host, the SourcePacker output channel)
  if [ -d "$RUN_TMP/data/logs" ] && [ ! -d "$LOGS/vscode-logs" ]; then
    cp -r "$RUN_TMP/data/logs" "$LOGS/vscode-logs" 2>/dev/null || true
    cp "$RUN_TMP/data/User/settings.json" "$LOGS/user-settings.json" 2>/dev/null || true
  fi
}
cleanup() {
  stop_server
  if [ "${KEEP_SERVER:-0}" != 1 ] && [ -d "$RUN_TMP" ]; then
    save_logs
    rm -rf "$RUN_TMP"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ 1. the extension's .vsix
t=$SECONDS
case "$(uname -m)" in aarch64|arm64) DEFAULT_TARGET=linux-arm64;; *) DEFAULT_TARGET=linux-x64;; esac
TARGET=${E2E_TARGET:-$DEFAULT_TARGET}
if [ -n "${E2E_VSIX:-}" ]; then
  VSIX=$(cd "$(dirname "$E2E_VSIX")" && pwd)/$(basename "$E2E_VSIX")
else
  VSIX=$RUN_TMP/sourcepacker.vsix
  (
    cd "$EXT_DIR"
    if [ ! -d node_modules ]; then npm ci; fi
    npm run package -- --target "$TARGET" -o "$VSIX"      # extra args go to `vsce package`
  ) > "$LOGS/package.log" 2>&1 || { tail -40 "$LOGS/package.log"; fail "building the .vsix failed (see $LOGS/package.log)"; }
  [ -s "$VSIX" ] || fail "npm run package made no $VSIX (see $LOGS/package.log)"
fi
echo "run.sh: vsix $VSIX ($(du -h "$VSIX" | cut -f1))"
lap "package extension" "$t"

# ------------------------------------------------------------------ 2. interpreters
t=$SECONDS
# The daemon's: a bare venv (no pip, no sourcepacker), so only the bundle can serve.
python3 -m venv --without-pip "$RUN_TMP/bare"
DAEMON_PY=$RUN_TMP/bare/bin/python
if "$DAEMON_PY" -c 'import sourcepacker' 2>/dev/null; then fail "$DAEMON_PY imports sourcepacker: not bare"; fi
echo "run.sh: daemon interpreter $DAEMON_PY ($("$DAEMON_PY" -V), no sourcepacker)"
# The CLI oracle's (e2e.cjs checks the extension's counts against `sourcepacker pack --json`):
if [ -n "${SOURCEPACKER_PYTHON:-}" ]; then
  PY=$SOURCEPACKER_PYTHON
else
  # install from a copy: setuptools builds in-tree and would leave build/ in the checkout
  mkdir -p "$RUN_TMP/src"
  (cd "$REPO" && cp -r pyproject.toml server "$RUN_TMP/src/" && cp README* LICENSE* "$RUN_TMP/src/" 2>/dev/null || true)
  rm -rf "$RUN_TMP/src/server/"*.egg-info
  python3 -m venv "$RUN_TMP/venv"
  "$RUN_TMP/venv/bin/pip" install "$RUN_TMP/src" > "$LOGS/pip.log" 2>&1 \
    || { tail -20 "$LOGS/pip.log"; fail "pip install of $REPO failed"; }
  PY=$RUN_TMP/venv/bin/python
fi
"$PY" -c 'import sourcepacker' || fail "$PY cannot import sourcepacker"
export SP_PYTHON=$PY
lap "interpreters" "$t"

# ------------------------------------------------------------------ 3. fixture + profile + install
t=$SECONDS
WS=$RUN_TMP/ws DATA=$RUN_TMP/data EXTS=$RUN_TMP/exts
mkdir -p "$WS" "$DATA/User" "$EXTS" "$RUN_TMP/tmp" "$RUN_TMP/home"
export TMPDIR=$RUN_TMP/tmp CS_HOME=$RUN_TMP/home
python3 "$HERE/fixture.py" "$WS" > "$LOGS/fixture.txt"
python3 - "$DATA/User/settings.json" "$DAEMON_PY" <<'PYEOF'
import json, sys
json.dump({
    "sourcepacker.server.interpreter": sys.argv[2],
    "workbench.startupEditor": "none",
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "workbench.tips.enabled": False,
    "workbench.enableExperiments": False,
    "security.workspace.trust.enabled": False,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoCheckUpdates": False,
    # "off", not false: VS Code migrates false -> "off" by rewriting settings.json at startup, and
    # when that lands while the extension host starts, the host can come up without the user
    # settings (seen: 2 runs of 15 read the interpreter's default)
    "extensions.autoUpdate": "off",
    "extensions.ignoreRecommendations": True,
    "chat.disableAIFeatures": True,
    "git.enabled": False,
}, open(sys.argv[1], "w"), indent=2)
PYEOF
PORT=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$PORT" > "$RUN_TMP/config.yaml"
CS_ARGS=(--config "$RUN_TMP/config.yaml" --user-data-dir "$DATA" --extensions-dir "$EXTS")
code-server "${CS_ARGS[@]}" --install-extension "$VSIX" > "$LOGS/install.log" 2>&1 \
  || { cat "$LOGS/install.log"; fail "code-server --install-extension failed"; }
lap "fixture + install" "$t"

# ------------------------------------------------------------------ 4. code-server
t=$SECONDS
export EXTENSIONS_GALLERY='{}'    # no marketplace queries (offline)
setsid code-server "${CS_ARGS[@]}" \
  --disable-telemetry --disable-update-check --disable-workspace-trust \
  --disable-getting-started-override --ignore-last-opened \
  "$WS" > "$LOGS/code-server.log" 2>&1 < /dev/null &
CS_PID=$!
up=0
for _ in $(seq 1 120); do
  if curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz"; then up=1; break; fi
  kill -0 "$CS_PID" 2>/dev/null || { cat "$LOGS/code-server.log"; fail "code-server died at start"; }
  sleep 0.5
done
[ $up = 1 ] || { cat "$LOGS/code-server.log"; fail "code-server not up after 60s"; }
lap "start code-server" "$t"

# ------------------------------------------------------------------ 5. browser scenario
t=$SECONDS
set +e
CS_URL="http://127.0.0.1:$PORT" WS_DIR="$WS" SHOT_DIR="$ART" EXT_DIR="$EXT_DIR" \
  node "$DRIVER" 2>&1 | tee "$LOGS/e2e.log"
RC=${PIPESTATUS[0]}
set -e
lap "browser scenario" "$t"

t=$SECONDS
stop_server
save_logs
lap "stop code-server" "$t"
if [ "$RC" != 0 ]; then
  # the extension's output channel (client + daemon log) says why, most of the time
  for f in "$LOGS"/vscode-logs/*/exthost*/sourcepacker.sourcepacker/*.log; do
    [ -f "$f" ] || continue
    echo "---- last lines of $f"; tail -40 "$f"; echo "----"
  done
fi
echo "run.sh: screenshots: $(cd "$ART" && ls ./*.png 2>/dev/null | tr '\n' ' ')"
echo "run.sh: logs: $LOGS"
line=$(grep -Eo '^[0-9]+ passed, [0-9]+ failed' "$LOGS/e2e.log" | tail -1 || true)
if [ -n "$line" ]; then P=${line%% passed*}; F=$(echo "$line" | cut -d' ' -f3); else P=0 F=1; fi
# the daemon ran from the .vsix's bundled libraries (the output channel says how it started)
started=$(cat "$LOGS"/vscode-logs/*/exthost*/sourcepacker.sourcepacker/*.log 2>/dev/null | grep -m1 'Daemon: ' || true)
if ! echo "$started" | grep -q 'bundled sourcepacker'; then
  echo "FAIL daemon started from the bundle: ${started:-no 'Daemon:' line in the output channel}"
  F=$((F + 1)); RC=1
else
  echo "PASS daemon started from the bundle: ${started#*Daemon: }"; P=$((P + 1))
fi
[ "$RC" != 0 ] && [ "$F" = 0 ] && F=1
[ "$F" != 0 ] && [ "$RC" = 0 ] && RC=1
echo "run.sh: finished in $((SECONDS - T0))s"
echo "e2e: $P passed, $F failed"
exit "$RC"
