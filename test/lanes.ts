// The integration files split into two lanes that `./vz test` runs side by side: files that start
// containers, daemons, sshd or loop devices (the "node" lane, one file at a time: they contend for
// LXC, the bridges and the 2 cores) and files that only need Postgres (the "db" lane). A file is a
// node file when it names any of the fixtures or tools below; misfiling one only costs contention,
// never correctness (every test uses its own names, database and node).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const NODE_MARKERS = /test-env|panel-node|TestNode|lxc|sshd|criu|restic|fake-agent|ensureLocalDaemon|vzagent|playwright|chromium|losetup|loop device/i;

/** Files that must run last in the node lane: they need the Debian builds the suite starts in the
 *  background, or they bound a time and should not share the machine with the browser specs. */
export const LATE_FILES = [
  'agents/src/templates/debian.int.test.ts',
  'server/operations/bulk/package-cache.int.test.ts',
  'server/operations/faults.int.test.ts',
];

/** Node files that run in a second node lane ("node2"), which `./vz test` starts once the Postgres-only
 *  lane is done, beside the end of the browser specs: without it the node lane alone was the suite's
 *  long pole (~25 of its ~30 minutes in CI). Heavy on disk and restic, light on timing; none changes
 *  a host-wide setting, and their ctids are moved out of the node lane's range (laneCtidOffset in
 *  agents/src/lxc/test-env.ts; bridges, temp dirs, sshd addresses and databases are random per file). */
export const SECOND_NODE_FILES = [
  'agents/src/backup/backup.int.test.ts',
  'server/operations/backups/backups.int.test.ts',
  'server/operations/multi-process.int.test.ts',
  'bench/fleet-tasks.int.test.ts',
  'bench/density-panel.int.test.ts',
  // Moved from the node lane on 2026-12-07 (it took 1,643 s of the suite's 1,879 s; the other lane 1,006 s).
  'server/operations/crash.int.test.ts',
  'server/operations/bulk/bulk.int.test.ts',
  // Moved on 2026-12-07 evening: the node lane took 1,632 s of a 1,700 s run, the other lane 1,365 s.
  'server/operations/imports/imports.int.test.ts',
  'server/api/routers/billing/billing-flow.int.test.ts',
];

const SKIP = new Set(['node_modules', 'e2e', 'public']);

/** Every integration file under root, relative, sorted (the folders vitest's integration project excludes are skipped). */
export function integrationFiles(root = process.cwd(), dir = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    if (e.name.startsWith('.') || SKIP.has(e.name)) continue;
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...integrationFiles(root, rel));
    else if (e.name.endsWith('.int.test.ts')) out.push(rel);
  }
  return out.sort();
}

/** The integration files of one lane: `node`, `node2` (SECOND_NODE_FILES) or `db`. */
export function laneFiles(lane: 'node' | 'node2' | 'db', root = process.cwd()): string[] {
  const second = new Set(SECOND_NODE_FILES);
  return integrationFiles(root).filter((f) => {
    if (lane === 'db') return !isNodeFile(f, root);
    return isNodeFile(f, root) && second.has(f) === (lane === 'node2');
  });
}

export function isNodeFile(file: string, root = process.cwd()): boolean {
  return NODE_MARKERS.test(readFileSync(`${root}/${file}`, 'utf8'));
}
