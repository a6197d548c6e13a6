// What a node can do, one row per capability, each with why it is off: the node page shows this
// so an admin knows before a migration or a create why the panel will take the slower path.
import { FEATURES } from '@/agents/protocol';

export interface CapabilityRow {
  key: string;
  label: string;
  on: boolean;
  /** What it means when on, or why it is off (and what the panel does instead). */
  detail: string;
}

interface NodeFacts {
  state: string;
  stateReason: string | null;
  maintenance: boolean;
  maintenanceReason?: string | null;
  hostKeyMismatch: boolean;
  capabilities: { lxcVersion: string; cgroup: 'v1' | 'v2'; criu: { usable: boolean; reason?: string }; storage: string[]; features: string[] } | null;
  /** Last node.info; its density settings become one row each. */
  info?: { density?: {
    targetVes: number;
    settings: Array<{ key: string; label: string; value: number | null; needed: number; enough: boolean; why: string }>;
    bridges?: Array<{ name: string; role: 'main' | 'overflow'; ports: number; vePorts: number; limit: number }>;
  } } | null;
}

const fmt = (v: number | null) => (v === null ? 'unreadable' : v.toLocaleString('en'));

/** One row per density setting the agent reports: its value, what targetVes VEs need, and why. */
function densityRows(n: NodeFacts): CapabilityRow[] {
  const d = n.info?.density;
  if (!d) return [];
  const settings = d.settings.map((s) => ({
    key: `density-${s.key}`,
    label: `Density: ${s.label}`,
    on: s.enough,
    detail: `${fmt(s.value)}${s.enough ? '' : ` — ${d.targetVes.toLocaleString('en')} VEs need ${fmt(s.needed)}`}: ${s.why}`,
  }));
  // One row per bridge VEs attach to: on while it has a free port.
  const bridges = (d.bridges ?? []).map((b) => ({
    key: `density-bridge-${b.name}`,
    label: `Density: ${b.role === 'main' ? 'VE bridge' : 'overflow bridge'} ${b.name}`,
    on: b.ports < b.limit,
    detail: `${fmt(b.ports)} of ${fmt(b.limit)} ports: ${fmt(b.vePorts)} VEs${b.ports > b.vePorts ? ` + ${fmt(b.ports - b.vePorts)} ${b.role === 'main' ? 'links to overflow bridges' : 'link to the main bridge'}` : ''}`,
  }));
  return [...settings, ...bridges];
}

/** The capability rows of a node from its last `hello` and its state (pure; the UI only renders it). */
export function capabilityReport(n: NodeFacts): CapabilityRow[] {
  const placement: CapabilityRow = n.hostKeyMismatch
    ? { key: 'placement', label: 'Takes new VEs', on: false, detail: 'the node presented another SSH host key: re-pin it after checking the new fingerprint' }
    : n.maintenance
      ? { key: 'placement', label: 'Takes new VEs', on: false, detail: `in maintenance${n.maintenanceReason ? `: ${n.maintenanceReason}` : ''}` }
      : n.state !== 'online'
        ? { key: 'placement', label: 'Takes new VEs', on: false, detail: `the node is ${n.state}${n.stateReason ? ` (${n.stateReason})` : ''}` }
        : { key: 'placement', label: 'Takes new VEs', on: true, detail: 'online and not in maintenance: placement may choose it' };
  const c = n.capabilities;
  if (!c) {
    const why = 'the agent has not answered yet, so nothing is known about this node';
    return [placement, ...['Live migration (CRIU)', 'Disk images with quotas', 'Online disk grow', 'Exactly-once operations'].map((label) => ({ key: label, label, on: false, detail: why }))];
  }
  const has = (f: string) => c.features.includes(f);
  return [
    placement,
    c.criu.usable
      ? { key: 'criu', label: 'Live migration (CRIU)', on: true, detail: '`criu check` passes: running VEs move with a pause of about a second' }
      : { key: 'criu', label: 'Live migration (CRIU)', on: false, detail: `criu check failed: ${c.criu.reason ?? 'no reason given'}; running VEs move by two-pass sync instead` },
    c.storage.includes('ext4-image')
      ? { key: 'ext4-image', label: 'Disk images with quotas', on: true, detail: 'each VE gets its own ext4 image on a loop device (diskspace and diskinodes enforced)' }
      : { key: 'ext4-image', label: 'Disk images with quotas', on: false, detail: 'no loop device support on this node: VEs get plain directories and disk limits are not enforced' },
    has(FEATURES.diskGrowOnline)
      ? { key: FEATURES.diskGrowOnline, label: 'Online disk grow', on: true, detail: 'a running VE\'s disk grows at once' }
      : { key: FEATURES.diskGrowOnline, label: 'Online disk grow', on: false, detail: 'the kernel or agent cannot resize a mounted image: a larger disk takes effect at the next start' },
    has(FEATURES.opJournal) && has(FEATURES.veLocks)
      ? { key: FEATURES.opJournal, label: 'Exactly-once operations', on: true, detail: 'repeated requests return the recorded result; work on one VE is serialised' }
      : { key: FEATURES.opJournal, label: 'Exactly-once operations', on: false, detail: 'the agent predates the operation journal: upgrade it by adding the node again' },
    { key: 'cgroup', label: `cgroup ${c.cgroup}`, on: true, detail: `limits are applied through cgroup ${c.cgroup}; LXC ${c.lxcVersion}` },
    ...densityRows(n),
  ];
}
