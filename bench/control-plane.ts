// Issue 15, control plane: a seeded fleet (default 100,000 VEs, 20,000 customers, 200 nodes) on a
// throwaway embedded Postgres; the admin VE list (with search and filters), the portal's list,
// the billing status call and the dashboard, each served over HTTP by the panel, timed against
// the raw SQL of the same page in the same run (interleaved, one request at a time).
// Goal: panel p95 within 3x of raw p95. --rounds repeats the measurement on the one seed (seeding
// 100,000 VEs takes minutes) and prints each page's median ratio over the rounds with its spread.
// Usage: npx tsx bench/control-plane.ts [--ves 100000] [--customers 20000] [--nodes 200] [--n 200] [--warm 20] [--rounds 1]
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { flag } from '@/agents/src/daemon/config';
import { closeApiKeyCaches } from '@/server/services/auth/apiKeyCache';
import { benchDatabase, runBench } from './lib/db';
import { startControlPlane, type ControlPlane } from './lib/control-plane-env';
import { PAGES, type Page } from './lib/control-plane-pages';
import { median, now, percentile, round, table } from './lib/stats';

const size = { ves: Number(flag(process.argv, 'ves') ?? 100_000), customers: Number(flag(process.argv, 'customers') ?? 20_000), nodes: Number(flag(process.argv, 'nodes') ?? 200) };
const n = Number(flag(process.argv, 'n') ?? 200);
const warm = Number(flag(process.argv, 'warm') ?? 20);
const rounds = Number(flag(process.argv, 'rounds') ?? 1);
const stopAll: Array<() => Promise<unknown>> = [];
// Under $TMPDIR, so parallel sessions can keep their scratch apart.
const pgDir = mkdtempSync(path.join(os.tmpdir(), 'cp-bench-pg-'));
const load = () => os.loadavg().map((x) => round(x)).join(' ');

async function measure(page: Page, cp: ControlPlane) {
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
  return { ...r, ratioP95: round(r.panelP95 / r.rawP95), ratioP50: round(r.panelP50 / r.rawP50) };
}

async function main() {
  const { prisma, url } = await benchDatabase(pgDir, stopAll, 20);
  const cp = await startControlPlane(prisma, url, size);
  stopAll.unshift(() => cp.close(), () => closeApiKeyCaches());
  console.log(`seeded ${cp.seeded.ves} VEs, ${cp.seeded.customers} customers, ${cp.seeded.nodes} nodes, ${cp.seeded.tasks} tasks in ${(cp.seeded.ms / 1000).toFixed(1)} s`);
  const all: Array<{ round: number; loadBefore: string; loadAfter: string; results: Awaited<ReturnType<typeof measure>>[] }> = [];
  for (let k = 1; k <= rounds; k++) {
    const loadBefore = load();
    const results = [];
    for (const page of PAGES) {
      const r = await measure(page, cp);
      results.push(r);
      console.log(`round ${k} ${page.name}: panel p95 ${round(r.panelP95)} ms, raw p95 ${round(r.rawP95)} ms (${r.ratioP95}x)`);
    }
    all.push({ round: k, loadBefore, loadAfter: load(), results });
    const rows = results.map((r) => [r.page, r.panelP50, r.panelP95, r.rawP50, r.rawP95, `${r.ratioP95}x`, r.ratioP95 <= 3 ? 'ok' : 'OVER']);
    console.log(`\nround ${k} of ${rounds}, load average ${loadBefore} -> ${load()}\n${table(['page', 'panel p50 ms', 'panel p95 ms', 'raw p50 ms', 'raw p95 ms', 'p95 ratio', 'goal 3x'], rows)}\n`);
  }
  const summary = PAGES.map((p) => {
    const ratios = all.map((a) => a.results.find((r) => r.page === p.name)!.ratioP95);
    const p50s = all.map((a) => a.results.find((r) => r.page === p.name)!.ratioP50);
    return { page: p.name, medianRatioP95: round(median(ratios)), minRatioP95: Math.min(...ratios), maxRatioP95: Math.max(...ratios), medianRatioP50: round(median(p50s)) };
  });
  if (rounds > 1) {
    const rows = summary.map((s) => [s.page, `${s.medianRatioP95}x`, `${s.minRatioP95}-${s.maxRatioP95}x`, `${s.medianRatioP50}x`, s.medianRatioP95 <= 3 ? 'ok' : 'OVER']);
    console.log(`over ${rounds} rounds\n${table(['page', 'median p95 ratio', 'spread', 'median p50 ratio', 'goal 3x'], rows)}`);
  }
  const dir = path.resolve(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `control-plane-${size.ves}-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.json`);
  const command = `npx tsx bench/control-plane.ts ${process.argv.slice(2).join(' ')}`.trim();
  writeFileSync(file, JSON.stringify({ command, size, n, warm, rounds: all, summary, seedMs: cp.seeded.ms }, null, 2));
  console.log(`\nwritten ${path.relative(process.cwd(), file)}`);
}

runBench(main, stopAll, [pgDir]);
