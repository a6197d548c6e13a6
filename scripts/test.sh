#!/usr/bin/env bash
# The whole suite: type check, lint, migration drift, unit, integration (real Postgres + LXC),
# end-to-end (Chromium), and the fresh-clone `./vz up` check. Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
export NEXT_TELEMETRY_DISABLED=1
passed=0; failed=0; failures=()
LOGDIR=$(mktemp -d /tmp/vz-test-logs-XXXXXX)

stage() {
  local name=$1; shift
  local t0=$SECONDS
  printf '\n=== %s ===\n' "$name"
  if "$@"; then passed=$((passed+1)); printf '=== %s: ok (%ss)\n' "$name" $((SECONDS-t0))
  else failed=$((failed+1)); failures+=("$name"); printf '=== %s: FAILED (%ss)\n' "$name" $((SECONDS-t0)); fi
}

# The clone test needs a full npm ci + next build of its own: start it first, in the background.
bash scripts/clone-up-test.sh >"$LOGDIR/clone.log" 2>&1 &
clone_pid=$!

# The Debian templates (one per recipe: debian-11, -12, -13; debootstrap, minutes, built in parallel)
# are built once, in the background, for the Debian tests (systemd VE boot and ssh per release; apt
# through the node's shared package cache). A suite the mirror does not serve is skipped, said in the log.
DEBDIR=$(mktemp -d /tmp/vz-test-debian-XXXXXX)
trap 'rm -rf "$DEBDIR" "$LOGDIR"' EXIT
npx tsx scripts/build-debian-template.ts "$DEBDIR" >"$LOGDIR/debian.log" 2>&1 &
debian_pid=$!

stage typecheck npx tsc --noEmit -p tsconfig.json
stage lint npx eslint --max-warnings=0 .
stage unit npx vitest run --project unit
# The browser specs run their own panel, Postgres and node (own ports, lxcpath and bridge), so they run
# beside the integration files instead of after them: the two are mostly waiting on LXC, not on the CPU.
npx playwright test >"$LOGDIR/e2e.log" 2>&1 &
e2e_pid=$!
debian_template() { wait "$debian_pid"; local rc=$?; cat "$LOGDIR/debian.log"; return $rc; }
stage debian-template debian_template
# vitest exits 0 after failed tests in this project (its embedded-Postgres global setup's exit hooks),
# so the verdict is read from vitest's JSON report instead of its exit status.
integration_tests() {
  local json="$LOGDIR/integration.json"
  VZ_TEST_DEBIAN=1 VZ_TEST_DEBIAN_DIR="$DEBDIR" npx vitest run --project integration \
    --reporter=default --reporter=json --outputFile.json="$json" || return 1
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(`integration: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
    process.exit(r.success && r.numFailedTests === 0 && r.numTotalTests > 0 ? 0 : 1)' "$json"
}
stage integration integration_tests
e2e_result() { wait "$e2e_pid"; local rc=$?; cat "$LOGDIR/e2e.log"; return $rc; }
stage e2e e2e_result
clone_result() { wait "$clone_pid"; local rc=$?; cat "$LOGDIR/clone.log"; return $rc; }
stage clone-up clone_result

printf '\n'
[ $failed -gt 0 ] && printf 'failed stages: %s\n' "${failures[*]}"
echo "stages: $passed passed, $failed failed"
[ $failed -eq 0 ]
