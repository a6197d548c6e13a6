// Issue 15: what the host's mount table costs each `lxc-start`. The agent mounts every VE's ext4 image on the
// host, so at 3,000 VEs the host has 3,000 more mounts, and every container start copies the whole table into
// its new mount namespace and detaches it again after pivot_root. Raw LXC (rootfs a host folder) adds none.
// One raw container (the seed workload) started and force-stopped --reps times with no extra mounts, then with
// --mounts tmpfs mounts on the host, then with none again; `unshare -m true` beside it (the kernel's copy alone).
// --kind ext4: the mounts are 16 MiB ext4 images on loop devices, as the agent mounts a VE's (~4 min more to make).
// Run: npx tsx bench/mount-table.ts [--mounts 3000] [--reps 15] [--kind tmpfs|ext4]
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makeExt4, mountImage } from '@/agents/src/storage/image';
import { run } from '@/agents/src/sys/exec';
import { Undo } from '@/agents/src/sys/undo';
import { makeBenchNode, unmountUnder } from './lib/node';
import { rawCreate, rawStart, rawStop } from './lib/raw-lxc';
import { median, parseArgs, round, table, timed } from './lib/stats';

const args = parseArgs(process.argv.slice(2));
const MOUNTS = Number(args.mounts ?? 3000);
const REPS = Number(args.reps ?? 15);
const KIND = String(args.kind ?? 'tmpfs');
if (KIND !== 'tmpfs' && KIND !== 'ext4') throw new Error(`--kind ${KIND}: tmpfs or ext4`);
const log = (s: string) => process.stderr.write(`${s}\n`);
const uptime = async () => (await run('uptime', [])).stdout.trim();
const mountCount = async () => (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').length - 1;

const node = await makeBenchNode({ maxCtids: 1 });
const up0 = await uptime();
const peer = { lxcpath: node.rawLxcpath, tarball: node.template.tarball, bridge: node.bridge };
const [ctid] = node.ctids(1);
const extra = path.join(node.vzroot, 'mt');
try {
  await rawCreate(peer, ctid, node.ip(0));
  const rows: (string | number)[][] = [];
  let base = 0;
  const phase = async (label: string) => {
    const start: number[] = [];
    const unshare: number[] = [];
    for (let r = 0; r < REPS; r++) {
      start.push((await timed(() => rawStart(peer, ctid)))[1]);
      await rawStop(peer, ctid);
      unshare.push((await timed(() => run('unshare', ['-m', 'true'])))[1]);
    }
    const m = median(start);
    base ||= m;
    const row = [label, await mountCount(), round(m, 0), `${round(Math.min(...start), 0)}-${round(Math.max(...start), 0)}`, round(m / base), round(median(unshare), 1)];
    rows.push(row);
    log(row.join('  '));
  };
  await phase('none');
  log(`mounting ${MOUNTS} ${KIND} mounts under ${extra}...`);
  for (let i = 0; i < MOUNTS; i++) {
    const d = path.join(extra, String(i));
    await mkdir(d, { recursive: true });
    if (KIND === 'tmpfs') await run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'vzmt', d]);
    else {
      await makeExt4(`${d}.img`, 16 * 2 ** 20, 1024);
      await mountImage(`${d}.img`, d, new Undo(), { fresh: true }); // unmountUnder detaches them at the end
    }
  }
  await phase(`${MOUNTS} more (${KIND})`);
  await unmountUnder(extra);
  await phase('none again');
  const up1 = await uptime();
  const out = [
    `## bench/mount-table.ts --mounts ${MOUNTS} --reps ${REPS} --kind ${KIND} (${new Date().toISOString()}; ${os.release()}, ${os.cpus().length} cores)`,
    `load at start: ${up0}`, `load at end:   ${up1}`, '',
    'lxc-start -d of one raw container (busybox init, syslogd, crond, httpd; stopped with lxc-stop -k between starts), median of the reps;',
    'host mounts = lines of /proc/self/mountinfo; unshare -m = `unshare -m true` (the kernel copying and freeing the table), median ms.', '',
    table(['extra mounts', 'host mounts', 'lxc-start ms', 'range', 'x none', 'unshare -m ms'], rows),
  ].join('\n');
  console.log(`\n${out}`);
  const file = path.join(import.meta.dirname, 'results', `mount-table-${KIND}-${MOUNTS}-${new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '')}.json`);
  await writeFile(file, JSON.stringify({ bench: 'mount-table', command: `npx tsx bench/mount-table.ts ${process.argv.slice(2).join(' ')}`.trim(), uptime: [up0, up1], rows, text: out }, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
} finally {
  await unmountUnder(extra);
  await node.cleanup();
}
