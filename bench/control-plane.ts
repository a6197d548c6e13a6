// Issue 15, control plane: a seeded fleet (default 100,000 VEs, 20,000 customers, 200 nodes) on a
// throwaway embedded Postgres; the admin VE list (with search and filters), the portal's list,
// the billing status call and the dashboard, each served over HTTP by the panel, timed against
// the raw SQL of the same page in the same run (interleaved, one request at a time).
// Goal: panel p95 within 3x of raw p95.
// Usage: npx tsx bench/control-plane.ts [--ves 100000] [--customers 20000] [--nodes 200] [--n 200] [--warm 20]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { flag } from '@/agents/src/daemon/config';
import { closeApiKeyCaches } from '@/server/services/auth/apiKeyCache';
import { benchDatabase } from './lib/db';
import { startControlPlane } from './lib/control-plane-env';
import { PAGES } from './lib/control-plane-pages';
import { now, percentile, round, table } from './lib/stats';

const size = { ves: Number(flag(process.argv, 'ves') ?? 100_000), customers: Number(flag(process.argv, 'customers') ?? 20_000), nodes: Number(flag(process.argv, 'nodes') ?? 200) };
const n = Number(flag(process.argv, 'n') ?? 200);
const warm = Number(flag(process.argv, 'warm') ?? 20);
const stopAll: Array<() => Promise<unknown>> = [];
const pgDir = mkdtempSync('/tmp/sp-cp-bench-pg-');

async function main() {
  const { prisma, url } = await benchDatabase(pgDir, stopAll, 20);
  const cp = await startControlPlane(prisma, url, size);
  stopAll.unshift(() => cp.close(), () => closeApiKeyCaches());
  console.log(`seeded ${cp.seeded.ves} VEs, ${cp.seeded.customers} customers, ${cp.seeded.nodes} nodes, ${cp.seeded.tasks} tasks in ${(cp.seeded.ms / 1000).toFixed(1)} s`);
  const rows: (string | number)[][] = [];
  const results = [];
  for (const page of PAGES) {
    const panel: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < warm + n; i++) {
      // Interleaved so both sides see the same machine load.
      const t0 = now();
      await page.panel(cp.ctx);
      const t1 = now();
      await page.raw(cp.raw, cp.ctx);
      const t2 = now();
      if (i >= warm) {
        panel.push(t1 - t0);
        raw.push(t2 - t1);
      }
    }
    const r = { page: page.name, panelP50: percentile(panel, 50), panelP95: percentile(panel, 95), rawP50: percentile(raw, 50), rawP95: percentile(raw, 95) };
    const ratio = r.panelP95 / r.rawP95;
    results.push({ ...r, ratioP95: round(ratio) });
    rows.push([page.name, r.panelP50, r.panelP95, r.rawP50, r.rawP95, `${round(ratio)}x`, ratio <= 3 ? 'ok' : 'OVER']);
    console.log(`${page.name}: panel p95 ${round(r.panelP95)} ms, raw p95 ${round(r.rawP95)} ms (${round(ratio)}x)`);
  }
  console.log(`\n${table(['page', 'panel p50 ms', 'panel p95 ms', 'raw p50 ms', 'raw p95 ms', 'p95 ratio', 'goal 3x'], rows)}`);
  const dir = path.resolve(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `control-plane-${size.ves}-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ size, n, warm, seedMs: cp.seeded.ms, results }, null, 2));
  console.log(`\nwritten ${path.relative(process.cwd(), file)}`);
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const s of stopAll) await s().catch(() => undefined);
    rmSync(pgDir, { recursive: true, force: true });
  });
