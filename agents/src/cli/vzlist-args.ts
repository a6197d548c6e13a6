// Pure: vzlist options (-a -S -o -s -j -H -1) and rendering of the VE list.
import { table } from './format';

export interface VzlistOpts { all: boolean; stopped: boolean; fields: string[]; sort?: string; reverse: boolean; json: boolean; header: boolean; idsOnly: boolean }
export interface Row { ctid: number; hostname: string; ips: string[]; status: string; onboot: boolean; ostemplate: string; ram: number; swap: number; diskspace: number; diskinodes: number; numproc: number; cpuunits: number; cpulimit: number; cpus: number; description?: string; nproc?: number }

export const FIELDS: Record<string, { head: string; get: (r: Row) => string | number; left?: boolean }> = {
  ctid: { head: 'CTID', get: (r) => r.ctid },
  veid: { head: 'CTID', get: (r) => r.ctid },
  hostname: { head: 'HOSTNAME', get: (r) => r.hostname, left: true },
  ip: { head: 'IP_ADDR', get: (r) => r.ips.map((i) => i.split('/')[0]).join(' ') || '-', left: true },
  status: { head: 'STATUS', get: (r) => r.status, left: true },
  numproc: { head: 'NPROC', get: (r) => (r.nproc === undefined ? '-' : r.nproc) },
  'numproc.l': { head: 'NPROC.L', get: (r) => r.numproc || 'unlimited' },
  physpages: { head: 'PHYSPAGES', get: (r) => r.ram / 4096 },
  ram: { head: 'RAM', get: (r) => r.ram },
  swap: { head: 'SWAP', get: (r) => r.swap },
  diskspace: { head: 'DSPACE', get: (r) => r.diskspace / 1024 },
  diskinodes: { head: 'DINODES', get: (r) => r.diskinodes },
  cpulimit: { head: 'CPULIM', get: (r) => r.cpulimit },
  cpuunits: { head: 'CPUUNI', get: (r) => r.cpuunits },
  cpus: { head: 'CPUS', get: (r) => r.cpus },
  onboot: { head: 'ONBOOT', get: (r) => (r.onboot ? 'yes' : 'no'), left: true },
  ostemplate: { head: 'OSTEMPLATE', get: (r) => r.ostemplate, left: true },
  description: { head: 'DESCRIPTION', get: (r) => r.description ?? '-', left: true },
};

export function parseVzlist(argv: string[]): VzlistOpts {
  const o: VzlistOpts = { all: false, stopped: false, fields: ['ctid', 'numproc', 'status', 'ip', 'hostname'], reverse: false, json: false, header: true, idsOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-a' || a === '--all') o.all = true;
    else if (a === '-S' || a === '--stopped') o.stopped = true;
    else if (a === '-j' || a === '--json') o.json = true;
    else if (a === '-H' || a === '--no-header') o.header = false;
    else if (a === '-1') o.idsOnly = true;
    else if (a === '-o' || a === '--output') o.fields = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (a === '-s' || a === '--sort') {
      const s = argv[++i] ?? '';
      o.reverse = s.startsWith('-');
      o.sort = s.replace(/^-/, '');
    } else throw new Error(`unknown option ${a}`);
  }
  for (const f of [...o.fields, ...(o.sort ? [o.sort] : [])]) if (!FIELDS[f]) throw new Error(`unknown field ${f}; known: ${Object.keys(FIELDS).join(',')}`);
  return o;
}

export function selectRows(rows: Row[], o: VzlistOpts): Row[] {
  let out = rows.filter((r) => (o.stopped ? r.status === 'stopped' : o.all || r.status === 'running' || r.status === 'suspended'));
  if (o.sort) {
    const f = FIELDS[o.sort];
    out = [...out].sort((x, y) => {
      const a = f.get(x);
      const b = f.get(y);
      return (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))) * (o.reverse ? -1 : 1);
    });
  }
  return out;
}

export function renderVzlist(rows: Row[], o: VzlistOpts): string {
  if (o.idsOnly) return rows.map((r) => `${r.ctid}\n`).join('');
  if (o.json) return JSON.stringify(rows.map((r) => Object.fromEntries(o.fields.map((f) => [f, FIELDS[f].get(r)]))), null, 2) + '\n';
  const cells = rows.map((r) => o.fields.map((f) => String(FIELDS[f].get(r))));
  const left = o.fields.map((f, i) => (FIELDS[f].left ? i : -1)).filter((i) => i >= 0);
  if (!cells.length && !o.header) return '';
  return table(o.header ? [o.fields.map((f) => FIELDS[f].head), ...cells] : cells, left);
}
