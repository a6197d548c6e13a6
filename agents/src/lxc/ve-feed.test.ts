// ve.list's change feed: a cursor gets only what changed (conf writes, removals), an unknown cursor the full list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { renderConfFile } from '../config/conf-file';
import { veConfigSchema } from '../config/schema';
import { dropAddressIndex } from './address-index';
import { dropFeed, feedFootprint, feedStats, sameItem, veFeed } from './ve-feed';
import { kernelStates } from './kernel-states';
import { removeVeConf, writeVe } from './ve-store';

let vzroot: string;
const rt = () => ({ vzroot, bridge: 'vzsn0', networks: [] as string[] });
const conf = (ctid: number, hostname = `sn${ctid}`) =>
  veConfigSchema.parse({ ctid, hostname, ostemplate: 'busybox', ips: [`10.199.81.${ctid % 250}/20`], idmap: { uid: 100_000, gid: 100_000 } });

beforeAll(() => {
  vzroot = mkdtempSync(path.join(tmpdir(), 'sn-feed-'));
  mkdirSync(path.join(vzroot, 'conf'), { recursive: true });
  for (let i = 0; i < 300; i++) writeFileSync(path.join(vzroot, 'conf', `${74100 + i}.conf`), renderConfFile(conf(74100 + i), { root: '/x', private: '/y' }));
});
afterAll(() => {
  dropFeed(vzroot);
  dropAddressIndex(vzroot);
  rmSync(vzroot, { recursive: true, force: true });
});

describe('ve.list change feed', () => {
  it('answers deltas after the first full list, and the full list again for an unknown cursor', { timeout: 60_000 }, async () => {
    const first = await veFeed(rt());
    expect(first.full).toBe(true);
    expect(first.ves).toHaveLength(300);

    const quiet = await veFeed(rt(), first);
    expect(quiet).toMatchObject({ full: false, ves: [], removed: [], gen: first.gen });

    const reads = feedStats.confReads;
    await writeVe(vzroot, { ...conf(74105), hostname: 'renamed.sn' }, 'vzsn0');
    await writeVe(vzroot, conf(74400), 'vzsn0');
    await removeVeConf(vzroot, 74110);
    const d = await veFeed(rt(), quiet);
    expect(d.full).toBe(false);
    expect(d.ves.map((v) => [v.ctid, v.hostname])).toEqual([[74105, 'renamed.sn'], [74400, 'sn74400']]);
    expect(d.removed).toEqual([74110]);
    expect(feedStats.confReads - reads).toBe(3); // the three changed confs, not 300
    expect(d.gen).toBeGreaterThan(quiet.gen);

    // A rewrite with the same content is no change.
    await writeVe(vzroot, conf(74400), 'vzsn0');
    expect((await veFeed(rt(), d)).ves).toEqual([]);

    // An unknown epoch (the agent restarted) or a cursor from the future: the full list.
    const other = await veFeed(rt(), { epoch: 'before-restart', gen: d.gen });
    expect(other.full).toBe(true);
    expect(other.ves).toHaveLength(300);
    expect((await veFeed(rt(), { epoch: d.epoch, gen: d.gen + 99 })).full).toBe(true);
    dropFeed(vzroot); // what a restart does to the agent's memory
    const after = await veFeed(rt(), d);
    expect(after.full).toBe(true);
    expect(after.epoch).not.toBe(d.epoch);
  });

  it('sees confs written behind its back: a new file at once, an edit in place at the next call without a cursor', { timeout: 60_000 }, async () => {
    const a = await veFeed(rt());
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(path.join(vzroot, 'conf', '74450.conf'), renderConfFile(conf(74450, 'new-by-hand.sn'), { root: '/x', private: '/y' }));
    const d = await veFeed(rt(), a);
    expect(d.full).toBe(false);
    expect(d.ves.map((v) => [v.ctid, v.hostname])).toEqual([[74450, 'new-by-hand.sn']]);

    writeFileSync(path.join(vzroot, 'conf', '74120.conf'), renderConfFile(conf(74120, 'by-hand.sn'), { root: '/x', private: '/y' }));
    const full = await veFeed(rt());
    expect(full.ves.find((v) => v.ctid === 74120)?.hostname).toBe('by-hand.sn');
    // and a delta from before the edit carries it too: the reread gave it a new generation
    expect((await veFeed(rt(), d)).ves.map((v) => v.ctid)).toEqual([74120]);
  });

  it('keeps one compact record per VE (the item, no JSON copy), not growing with calls', { timeout: 60_000 }, async () => {
    const first = await veFeed(rt());
    const before = feedFootprint(vzroot);
    expect(before.entries).toBe(first.ves.length);
    expect(before.fields).toEqual(['gen', 'item']);
    let cursor = first;
    for (let i = 0; i < 20; i++) cursor = await veFeed(rt(), cursor);
    await veFeed(rt());
    expect(feedFootprint(vzroot)).toEqual(before);
  });

  it('tells a change from a rewrite field by field, arrays element by element', () => {
    const item = { ...first(), ips: ['10.199.81.5/20'], nameservers: ['10.199.81.1'] };
    expect(sameItem(item, { ...item, ips: ['10.199.81.5/20'] })).toBe(true);
    expect(sameItem(item, { ...item, ips: ['10.199.81.6/20'] })).toBe(false);
    expect(sameItem(item, { ...item, ips: ['10.199.81.5/20', '10.199.81.6/20'] })).toBe(false);
    expect(sameItem(item, { ...item, status: 'stopped' })).toBe(false);
    expect(sameItem(item, { ...item, description: 'x' })).toBe(false);
    expect(sameItem({ ...item, description: 'x' }, item)).toBe(false);
  });

  it('full answer: no lxc-ls or lxc-info where no VE runs; lxc-ls only where LXC would hash the socket path', { timeout: 60_000 }, async () => {
    const before = { ...feedStats };
    expect((await veFeed(rt())).ves.every((v) => v.status === 'stopped')).toBe(true);
    expect([feedStats.lxcLs - before.lxcLs, feedStats.lxcInfo - before.lxcInfo]).toEqual([0, 0]);
    expect(await kernelStates(`/tmp/${'x'.repeat(80)}`)).toBeNull();
  });
});

function first() {
  return { ctid: 1, hostname: 'a', ips: [] as string[], status: 'running' as const, ostemplate: 'busybox', onboot: false, ram: 1, swap: 0, diskspace: 1, diskinodes: 1,
    numproc: 1, cpuunits: 1, cpulimit: 0, cpus: 1, ioprio: 4, iolimit: 0, iopslimit: 0, bandwidth: 0, throttle: 0, nameservers: [] as string[] };
}
