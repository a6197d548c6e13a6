import { describe, expect, it } from 'vitest';
import { agentLimits, panelLimits } from './limits';
import { compareVe, parseDrift, type VeSnapshot } from '@/server/services/ves/drift';

const panel: VeSnapshot = { hostname: 'a.test', ips: ['10.0.0.2', '10.0.0.3'], nameservers: ['1.1.1.1'], onboot: true, template: 'busybox', limits: { ram: 256, diskspace: 2048, cpuunits: 1000, bandwidth: 100 } };

describe('per-field drift', () => {
  it('finds nothing when the node says the same, whatever the order of addresses and DNS servers', () => {
    expect(compareVe(panel, { ...panel, ips: ['10.0.0.3', '10.0.0.2'], limits: { ram: 256, diskspace: 2048, cpuunits: 1000 } })).toEqual({});
  });

  it('names each field that differs with both values, and skips what one side does not state', () => {
    const node: VeSnapshot = { ...panel, hostname: 'b.test', onboot: false, nameservers: undefined, template: 'other', limits: { ram: 512, diskspace: 2048 } };
    expect(compareVe(panel, node)).toEqual({
      hostname: { panel: 'a.test', node: 'b.test' },
      onboot: { panel: true, node: false },
      template: { panel: 'busybox', node: 'other' },
      ram: { panel: 256, node: 512 },
    });
  });

  it('converts the node\'s bytes back to panel units exactly (the inverse of agentLimits), leaving off-grid values visible', () => {
    const l = { ram: 256, swap: 128, diskspace: 4096, diskinodes: 100_000, cpuunits: 1000, cpulimit: 150, cpus: 2, numproc: 200, ioprio: 4, iolimit: 50, bandwidth: 100 };
    expect(panelLimits(agentLimits(l))).toEqual(l);
    expect(panelLimits({ ram: 1.5 * 2 ** 20 }).ram).toBe(1.5);
  });

  it('drops stored entries it cannot read instead of trusting them', () => {
    expect(parseDrift({ hostname: { panel: 'a', node: 'b', since: 'x' }, bogus: {}, ram: { panel: 1 } })).toEqual({ hostname: { panel: 'a', node: 'b', since: 'x' } });
  });
});
