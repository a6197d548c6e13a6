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
# The tests that need them wait for $DEBDIR/.done (test/fixtures/debian-build.ts), written here whatever happens.
( npx tsx scripts/build-debian-template.ts "$DEBDIR"; rc=$?; touch "$DEBDIR/.done"; exit $rc ) >"$LOGDIR/debian.log" 2>&1 &
debian_pid=$!

# vitest exits 0 after failed tests in this project (its embedded-Postgres global setup's exit hooks),
# so the verdict is read from vitest's JSON report instead of its exit status.
vitest_verdict() {
  local json=$1; shift
  npx vitest run --project integration --reporter=default --reporter=json --outputFile.json="$json" "$@" || return 1
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(`integration: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
    process.exit(r.success && r.numFailedTests === 0 && r.numTotalTests > 0 ? 0 : 1)' "$json"
}
# lane_step NAME CMD...: runs CMD into NAME.log, then writes its exit status to NAME.rc and its time to the log.
lane_step() {
  local name=$1; shift; local t0=$SECONDS
  "$@" >"$LOGDIR/$name.log" 2>&1; local rc=$?
  echo "($name took $((SECONDS-t0)) s)" >>"$LOGDIR/$name.log"; echo $rc >"$LOGDIR/$name.rc"
}
# Two lanes (test/lanes.ts). The node lane (files with containers, daemons, sshd, loop
# devices: one at a time) is the long one and starts now. The other lane runs the type check (beside it), lint, unit, then the
# Chromium specs (their own panel, Postgres, node, ports, lxcpath and bridge) beside the Postgres-only
# integration files. The files that need the Debian builds run last in the node lane and wait for them.
VZ_TEST_LANE=node VZ_TEST_DEBIAN=1 VZ_TEST_DEBIAN_DIR="$DEBDIR" lane_step integration-node vitest_verdict "$LOGDIR/integration-node.json" &
node_pid=$!
other_lane() {
  # The type check runs beside this lane's steps, not before the lanes: beside the clone check's npm ci and
  # next build and the Debian builds it took 189 s of the suite's wall time on its own (2026-12-07), while
  # the node lane waited.
  lane_step typecheck npx tsc --noEmit -p tsconfig.json &
  local tsc=$!
  lane_step lint npx eslint --max-warnings=0 .
  lane_step unit npx vitest run --project unit
  # Before the browser specs: their setup may run `next build`, which rewrites the .next/types tsc reads.
  wait $tsc
  lane_step e2e npx playwright test &
  local e2e=$!
  VZ_TEST_LANE=db lane_step integration-db vitest_verdict "$LOGDIR/integration-db.json"
  # A few heavy node files (test/lanes.ts SECOND_NODE_FILES) take the place the Postgres-only files leave.
  VZ_TEST_LANE=node2 lane_step integration-node2 vitest_verdict "$LOGDIR/integration-node2.json"
  wait $e2e
}
other_lane &
other_pid=$!
wait "$other_pid"
from_lane() { cat "$LOGDIR/$1.log"; return "$(cat "$LOGDIR/$1.rc" 2>/dev/null || echo 1)"; }
stage typecheck from_lane typecheck
stage lint from_lane lint
stage unit from_lane unit
stage integration-db from_lane integration-db
stage integration-node2 from_lane integration-node2
stage e2e from_lane e2e
debian_template() { wait "$debian_pid"; local rc=$?; cat "$LOGDIR/debian.log"; return $rc; }
stage debian-template debian_template
integration_node() { wait "$node_pid"; from_lane integration-node; }
stage integration-node integration_node
clone_result() { wait "$clone_pid"; local rc=$?; cat "$LOGDIR/clone.log"; return $rc; }
stage clone-up clone_result

printf '\n'
# CI keeps only the end of this output: repeat why each failed stage failed, last.
digest() {
  local log
  case $1 in debian-template) log=$LOGDIR/debian.log ;; clone-up) log=$LOGDIR/clone.log ;; *) log=$LOGDIR/$1.log ;; esac
  [ -f "$log" ] || return 0
  printf -- '--- %s ---\n' "${2:-why $1 failed (its failure lines)}"
  sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E -A12 '^ *(FAIL |✘|[0-9]+\) )|AssertionError|Error:|Timeout|timed out|^error' | head -80
}
for f in "${failures[@]}"; do digest "$f"; done
if [[ " ${failures[*]} " != *" e2e "* ]] && grep -q ' flaky' "$LOGDIR/e2e.log" 2>/dev/null; then
  digest e2e 'e2e passed, but a spec passed only on its retry (flaky); its first failure'
fi
[ $failed -gt 0 ] && printf 'failed stages: %s\n' "${failures[*]}"
echo "stages: $passed passed, $failed failed"
[ $failed -eq 0 ]
