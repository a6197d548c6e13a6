// The address check on create is an index: conflicts still refused (also after a restart), and it no longer reads every conf.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { renderConfFile } from '../config/conf-file';
import { veConfigSchema, type VeConfig } from '../config/schema';
import { Undo } from '../sys/undo';
import { addressIndexStats, claimIps, dropAddressIndex, loadAddressIndex } from './address-index';
import { removeVeConf, writeVe } from './ve-store';

let vzroot: string;
const conf = (ctid: number, ips: string[]): VeConfig =>
  veConfigSchema.parse({ ctid, hostname: `sn${ctid}`, ostemplate: 'busybox', ips, idmap: { uid: 100_000, gid: 100_000 } });
// A conf another writer leaves (hand edit, or the state before this agent started).
const writeRaw = (c: VeConfig) => writeFileSync(path.join(vzroot, 'conf', `${c.ctid}.conf`), renderConfFile(c, { root: '/x', private: '/y' }));

beforeAll(() => {
  vzroot = mkdtempSync(path.join(tmpdir(), 'sn-addrix-'));
  mkdirSync(path.join(vzroot, 'conf'), { recursive: true });
});
afterAll(() => {
  dropAddressIndex(vzroot);
  rmSync(vzroot, { recursive: true, force: true });
});

describe('address index', () => {
  it('refuses an address another VE holds, also after an agent restart, and frees it when that VE goes', async () => {
    await writeVe(vzroot, conf(74001, ['10.199.80.5/24']), 'vzsn0');
    await expect(claimIps(vzroot, 74002, ['10.199.80.5/24'])).rejects.toMatchObject({ code: 'IP_IN_USE', data: { ctid: 74001 } });
    await expect(claimIps(vzroot, 74001, ['10.199.80.5/24'])).resolves.toBeUndefined(); // its own address

    dropAddressIndex(vzroot); // a restart: the memory is gone, the confs are not
    const builds = addressIndexStats.builds;
    await expect(claimIps(vzroot, 74002, ['10.199.80.5'])).rejects.toMatchObject({ code: 'IP_IN_USE' });
    expect(addressIndexStats.builds).toBe(builds + 1);

    await removeVeConf(vzroot, 74001);
    await expect(claimIps(vzroot, 74002, ['10.199.80.5/24'])).resolves.toBeUndefined();
  });

  it('holds a claim of a create under way until its undo releases it', async () => {
    const u = new Undo();
    await claimIps(vzroot, 74003, ['10.199.80.7/24'], u);
    await expect(claimIps(vzroot, 74004, ['10.199.80.7/24'])).rejects.toMatchObject({ code: 'IP_IN_USE', data: { ctid: 74003 } });
    await u.unwind();
    await expect(claimIps(vzroot, 74004, ['10.199.80.7/24'])).resolves.toBeUndefined();
  });

  it('sees a conf written behind its back (the conf dir changed): rebuilds once', async () => {
    await loadAddressIndex(vzroot);
    await new Promise((r) => setTimeout(r, 20));
    writeRaw(conf(74005, ['10.199.80.9/24']));
    await expect(claimIps(vzroot, 74006, ['10.199.80.9/24'])).rejects.toMatchObject({ code: 'IP_IN_USE', data: { ctid: 74005 } });
  });

  it('reads each conf once at start, then no conf per create (500 VEs)', { timeout: 60_000 }, async () => {
    for (let i = 0; i < 500; i++) writeRaw(conf(75000 + i, [`10.199.${84 + (i >> 8)}.${i & 255}/20`]));
    dropAddressIndex(vzroot);
    const t0 = performance.now();
    const n = await loadAddressIndex(vzroot);
    const buildMs = performance.now() - t0;
    expect(n).toBeGreaterThanOrEqual(500);
    const reads = addressIndexStats.confReads;
    const t1 = performance.now();
    for (let i = 0; i < 200; i++) await claimIps(vzroot, 76000 + i, [`10.199.90.${i}/20`]);
    const perCheckMs = (performance.now() - t1) / 200;
    expect(addressIndexStats.confReads).toBe(reads); // 200 checks, 0 confs read
    // A clash costs one read: the holder's conf, to confirm.
    await expect(claimIps(vzroot, 76999, ['10.199.85.10/20'])).rejects.toMatchObject({ code: 'IP_IN_USE', data: { ctid: 75266 } });
    console.log(`address index: build ${buildMs.toFixed(1)} ms for ${n} confs, check ${perCheckMs.toFixed(3)} ms`);
    expect(perCheckMs).toBeLessThan(buildMs / 10);
  });
});
