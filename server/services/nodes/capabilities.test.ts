// The node page's capability rows include one per density setting the agent reports, on when enough.
import { describe, expect, it } from 'vitest';
import { capabilityReport } from './capabilities';

const base = {
  state: 'online', stateReason: null, maintenance: false, hostKeyMismatch: false,
  capabilities: { lxcVersion: '5.0.2', cgroup: 'v1' as const, criu: { usable: false, reason: 'x' }, storage: ['ext4-image'], features: [] },
};

describe('capability report: density', () => {
  it('shows each density setting with its value, and what N VEs need when it is not enough', () => {
    const rows = capabilityReport({
      ...base,
      info: { density: { targetVes: 3000, settings: [
        { key: 'pty.max', label: 'kernel.pty.max', value: 65536, needed: 7024, enough: true, why: 'ptys' },
        { key: 'bridge.ports', label: 'ports on bridge vzbr0 (now in use)', value: 12, needed: 3000, enough: false, why: 'a Linux bridge takes at most 1,023 ports' },
      ] } },
    });
    expect(rows.find((r) => r.key === 'density-pty.max')).toMatchObject({ on: true, detail: '65,536: ptys' });
    expect(rows.find((r) => r.key === 'density-bridge.ports')).toMatchObject({ on: false, detail: '12 — 3,000 VEs need 3,000: a Linux bridge takes at most 1,023 ports' });
  });
  it('shows each bridge VEs attach to with its port use, off when full', () => {
    const rows = capabilityReport({
      ...base,
      info: { density: { targetVes: 3000, settings: [], bridges: [
        { name: 'vzbr0', role: 'main', ports: 1023, vePorts: 1021, limit: 1023 },
        { name: 'vzbr0-1', role: 'overflow', ports: 12, vePorts: 11, limit: 1023 },
      ] } },
    });
    expect(rows.find((r) => r.key === 'density-bridge-vzbr0')).toMatchObject({ on: false, label: 'Density: VE bridge vzbr0', detail: '1,023 of 1,023 ports: 1,021 VEs + 2 links to overflow bridges' });
    expect(rows.find((r) => r.key === 'density-bridge-vzbr0-1')).toMatchObject({ on: true, label: 'Density: overflow bridge vzbr0-1', detail: '12 of 1,023 ports: 11 VEs + 1 link to the main bridge' });
  });
  it('adds nothing for an agent that does not report density', () => {
    expect(capabilityReport({ ...base, info: null }).some((r) => r.key.startsWith('density-'))).toBe(false);
  });
});
