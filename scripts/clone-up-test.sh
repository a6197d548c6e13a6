#!/usr/bin/env bash
# What a new user does: clone the repository into a temporary folder and run the README's first
# command there until /api/health answers. Uses its own port, data folder and agent root.
set -euo pipefail
src="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
dir=$(mktemp -d /tmp/vz-clone-XXXXXX)
chmod 755 "$dir" # the embedded Postgres runs as the postgres user and must reach its data folder
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
pid=
cleanup() {
  set +e # cleanup must not change the test's exit status
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  [ -n "$pid" ] && pkill -KILL -f "$dir/" 2>/dev/null
  ip link del "$VZ_BRIDGE" 2>/dev/null || true
  for t in vzsp vzas; do nft delete table bridge "${t}_$VZ_BRIDGE" 2>/dev/null; done
  rm -rf "$dir"
}
VZ_BRIDGE="vzcl$RANDOM"
trap cleanup EXIT
# Like a checkout under /root: the repository sits in a folder only root can enter.
mkdir -m 700 "$dir/home"
git clone -q "$src" "$dir/home/repo"
cd "$dir/home/repo"
export PORT=$port VZPANEL_DATA_DIR="$dir/data" VZ_ROOT="$dir/vz" VZ_BRIDGE VZPANEL_ADMIN_EMAIL=admin@clone.test
./vz up >"$dir/up.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  if body=$(curl -fsS "http://127.0.0.1:$port/api/health" 2>/dev/null); then
    echo "health: $body"
    grep -q '"db":"ok"' <<<"$body" || { echo "database not ok"; exit 1; }
    grep -q 'Admin login: admin@clone.test ' "$dir/up.log" || { echo "no admin login line"; cat "$dir/up.log"; exit 1; }
    echo "clone-up: ok"
    exit 0
  fi
  kill -0 "$pid" 2>/dev/null || { echo "./vz up exited early:"; cat "$dir/up.log"; exit 1; }
  sleep 1
done
echo "timed out waiting for /api/health"; tail -50 "$dir/up.log"; exit 1
