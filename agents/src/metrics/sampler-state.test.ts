// The sampler's per-VE memory (issue 15): one stream record per VE on the node, the same size pass
// after pass, forgotten when the VE leaves; and the held-file budget an operator can lower.
import { mkdtempSync, mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostFacts } from '../lxc/host-facts';
import { CgroupReader, fdBudget } from './cgroup';
import { OomLog } from './kmsg';
import { nextTurn, samplePass, VES_PER_TURN } from './sampler';
import { Spool } from './spool';

const vzroot = mkdtempSync(path.join(tmpdir(), 'h174-sampler-'));
afterAll(() => rmSync(vzroot, { recursive: true, force: true }));
// ctids of this test's own range: no payload cgroup exists for them, so every VE reads as stopped.
const ctids = Array.from({ length: 200 }, (_, i) => 74_500 + i);

describe('usage sampler state', () => {
  it('holds one record per VE that does not grow with passes, and drops a VE that left', async () => {
    mkdirSync(path.join(vzroot, 'conf'));
    for (const c of ctids) writeFileSync(path.join(vzroot, 'conf', `${c}.conf`), `VEID="${c}"\n`);
    const spool = new Spool(vzroot, { maxBytes: 64 * 1024 });
    const oom = new OomLog(path.join(vzroot, 'no-kmsg'));
    const cgroups = new CgroupReader(hostFacts().version === 'v2');
    await samplePass(spool, vzroot, oom, cgroups, 10_000);
    const size = JSON.stringify(spool.state.ves).length;
    expect(Object.keys(spool.state.ves)).toHaveLength(200);
    for (let i = 0; i < 30; i++) await samplePass(spool, vzroot, oom, cgroups, 10_000);
    expect(Object.keys(spool.state.ves)).toHaveLength(200);
    expect(JSON.stringify(spool.state.ves).length).toBe(size);
    expect(cgroups.fdsHeld).toBe(0);
    expect(spool.pending.bytes).toBeLessThanOrEqual(64 * 1024); // unacknowledged batches stay within the cap

    for (const c of ctids.slice(0, 50)) unlinkSync(path.join(vzroot, 'conf', `${c}.conf`));
    await samplePass(spool, vzroot, oom, cgroups, 10_000);
    expect(Object.keys(spool.state.ves)).toHaveLength(150);
    oom.close();
  });

  it('lets the event loop run every VES_PER_TURN VEs; a pass cut short between two turns spools nothing and changes no stream', async () => {
    const dir = mkdtempSync(path.join(vzroot, 'turns-'));
    mkdirSync(path.join(dir, 'conf'));
    for (const c of ctids) writeFileSync(path.join(dir, 'conf', `${c}.conf`), `VEID="${c}"\n`);
    const spool = new Spool(dir, { maxBytes: 64 * 1024 });
    const oom = new OomLog(path.join(dir, 'no-kmsg'));
    const cgroups = new CgroupReader(hostFacts().version === 'v2');
    // A timer due now runs at the first turn the pass gives back: before the pass ends.
    let ranMidPass = false;
    setImmediate(() => { ranMidPass = true; });
    let turns = 0;
    const seq = await samplePass(spool, dir, oom, cgroups, 10_000, Date.now(), async () => { turns++; await nextTurn(); });
    expect(turns).toBe(Math.ceil(ctids.length / VES_PER_TURN) - 1);
    expect(ranMidPass).toBe(true);
    expect(seq).toBe(1);

    // Cut short at its first turn: no batch, and no stream changed (here: none of the 64 VEs read is remembered).
    const fresh = new Spool(path.join(dir, 'fresh'), { maxBytes: 64 * 1024 });
    const stopped = new Error('stopped');
    await expect(samplePass(fresh, dir, oom, cgroups, 10_000, Date.now(), () => Promise.reject(stopped))).rejects.toBe(stopped);
    expect(fresh.state.seq).toBe(0);
    expect(fresh.pending.batches).toBe(0);
    expect(fresh.state.ves).toEqual({});
    oom.close();
    cgroups.close();
  });

  it('holds files within the open-file limit, lowered (even to none) by VZ_USAGE_HELD_FDS', () => {
    const limits = path.join(vzroot, 'limits');
    writeFileSync(limits, 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n');
    expect(fdBudget(limits, {})).toBe(512);
    expect(fdBudget(limits, { VZ_USAGE_HELD_FDS: '0' })).toBe(0);
    expect(fdBudget(limits, { VZ_USAGE_HELD_FDS: '110' })).toBe(110);
    expect(fdBudget(limits, { VZ_USAGE_HELD_FDS: '99999' })).toBe(512);
    expect(fdBudget(limits, { VZ_USAGE_HELD_FDS: 'lots' })).toBe(512);
    writeFileSync(limits, 'Max open files            1048576              1048576              files\n');
    expect(fdBudget(limits, {})).toBe(1048576 - 8192);
  });
});
