// Network rate caps of a VE (plan `bandwidth`, quota `throttle`), enforced with tc on the host side of its veth.
//
// To the VE  = egress of the host veth: a tbf qdisc at its root.
// From the VE = ingress of the host veth: an ingress qdisc whose one u32 filter redirects every
//   frame to the VE's own ifb device, and a tbf at that ifb's root. (This kernel has neither
//   act_police nor cls_matchall; ifb shapes with a queue instead of dropping, so TCP holds the rate.)
// The veth is new at every start, so the caps are (re)applied after each start; the ifb outlives
// stops and is removed at stop and destroy. Rates are bits/s everywhere; 0 = none.
import { access, readFile } from 'node:fs/promises';
import { vethName } from '../config/schema';
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';

export const ifbName = (ctid: number) => `ifb${ctid}`;
// Queueing delay tbf may add before dropping: long enough for TCP to settle at the rate.
const LATENCY = '50ms';

/** The rate a VE runs at: the lower of its plan cap and an active quota throttle (0 = none for each). */
export function effectiveRate(bandwidth: number, throttle: number): number {
  if (!bandwidth) return throttle;
  if (!throttle) return bandwidth;
  return Math.min(bandwidth, throttle);
}

/** Bucket size in bytes: 20 ms at the rate, at least 32 KiB (tbf needs more than one tick and one frame). */
export function burstBytes(rateBits: number): number {
  return Math.max(32 * 1024, Math.ceil(rateBits / 8 / 50));
}

/** Pure: argv of the tbf qdisc that caps a device's egress at `rateBits`. */
export function tbfArgs(dev: string, rateBits: number): string[] {
  return ['qdisc', 'replace', 'dev', dev, 'root', 'handle', '1:', 'tbf', 'rate', `${rateBits}bit`, 'burst', String(burstBytes(rateBits)), 'latency', LATENCY];
}

/** Pure: argv of the filter that hands everything arriving on `veth` to `ifb`. */
export function redirectArgs(veth: string, ifb: string): string[] {
  return ['filter', 'replace', 'dev', veth, 'parent', 'ffff:', 'protocol', 'all', 'prio', '1', 'handle', '800::800', 'u32', 'match', 'u32', '0', '0',
    'action', 'mirred', 'egress', 'redirect', 'dev', ifb];
}

const tc = (args: string[], allowFail = false) => run('tc', args, { timeoutMs: 15_000, allowFail });
// sysfs, not `ip link show`: stop and destroy check this for every VE, and a read costs no process.
const linkExists = (dev: string) => access(`/sys/class/net/${dev}`).then(() => true, () => false);

interface TcQdisc { kind: string; handle?: string; root?: boolean; options?: { rate?: number } }
interface TcFilter { options?: { actions?: { kind?: string; to_dev?: string; mirred_action?: string }[] } }

async function tcJson<T>(args: string[]): Promise<T[]> {
  const r = await run('tc', ['-j', ...args], { timeoutMs: 15_000, allowFail: true });
  if (r.code !== 0 || !r.stdout.trim()) return [];
  try {
    return JSON.parse(r.stdout) as T[];
  } catch {
    throw new VeError('INTERNAL', `tc ${args.join(' ')}: unreadable JSON`);
  }
}

/** What the kernel enforces now, in bits/s per direction (0 = no cap); null when the veth does not exist (VE not running). */
export interface LiveShaping { toVe: number; fromVe: number }

/** Root tbf rate of a device in bits/s (tc reports bytes/s), 0 when it has none. */
async function tbfRate(dev: string): Promise<number> {
  const root = (await tcJson<TcQdisc>(['qdisc', 'show', 'dev', dev])).find((q) => q.root && q.kind === 'tbf');
  return root?.options?.rate ? root.options.rate * 8 : 0;
}

async function redirectsTo(veth: string, ifb: string): Promise<boolean> {
  const filters = await tcJson<TcFilter>(['filter', 'show', 'dev', veth, 'parent', 'ffff:']);
  return filters.some((f) => f.options?.actions?.some((a) => a.kind === 'mirred' && a.mirred_action === 'redirect' && a.to_dev === ifb));
}

/** Reads the caps back from the kernel (never from the conf): what `ve.shaping` and `ve.set` report. */
export async function readShaping(ctid: number): Promise<LiveShaping | null> {
  const veth = vethName(ctid);
  if (!(await linkExists(veth))) return null;
  const ifb = ifbName(ctid);
  const fromVe = (await redirectsTo(veth, ifb)) ? await tbfRate(ifb) : 0;
  return { toVe: await tbfRate(veth), fromVe };
}

/**
 * VEs this process capped, with the ifindex their veth had then: a VE that reboots from inside
 * gets a new veth without qdiscs, which the keeper (shaping-keeper.ts) notices by its new ifindex.
 */
export const shapedVeths = new Map<number, { ifindex: number; rate: number }>();

/** The kernel's index of a link (new for every new veth), or undefined when it does not exist. */
export async function ifindexOf(dev: string): Promise<number | undefined> {
  const t = await readFile(`/sys/class/net/${dev}/ifindex`, 'utf8').catch(() => undefined);
  return t === undefined ? undefined : Number(t.trim());
}

/** Removes both caps; a missing veth or ifb is fine (the VE stopped, or it never had a cap). */
export async function removeShaping(ctid: number): Promise<void> {
  shapedVeths.delete(ctid);
  const veth = vethName(ctid);
  if (await linkExists(veth)) {
    await tc(['qdisc', 'del', 'dev', veth, 'root'], true);
    await tc(['qdisc', 'del', 'dev', veth, 'ingress'], true);
  }
  if (await linkExists(ifbName(ctid))) await run('ip', ['link', 'del', 'dev', ifbName(ctid)], { allowFail: true });
}

async function ensureIfb(ifb: string): Promise<void> {
  if (!(await linkExists(ifb))) {
    const r = await run('ip', ['link', 'add', 'name', ifb, 'type', 'ifb'], { allowFail: true });
    if (r.code !== 0 && !(await linkExists(ifb))) throw new VeError('UNSUPPORTED', `cannot create ${ifb} (is the kernel built with CONFIG_IFB?): ${r.stderr.trim()}`);
  }
  await run('ip', ['link', 'set', 'dev', ifb, 'up']);
}

/**
 * Caps a running VE's traffic at `rateBits` in each direction (0 removes the caps), in place:
 * a rate change replaces the tbf parameters without dropping the link. Reads the result back
 * and throws when the kernel does not show exactly what was asked, so callers only ever report
 * a cap that is really there. The VE must be running (its veth must exist).
 */
export async function applyShaping(ctid: number, rateBits: number): Promise<LiveShaping> {
  const veth = vethName(ctid);
  if (!(await linkExists(veth))) throw new VeError('VE_NOT_RUNNING', `VE ${ctid} has no ${veth}: is it running?`);
  if (rateBits === 0) {
    await removeShaping(ctid);
  } else {
    const ifb = ifbName(ctid);
    await tc(tbfArgs(veth, rateBits));
    await ensureIfb(ifb);
    await tc(tbfArgs(ifb, rateBits));
    if (!(await redirectsTo(veth, ifb))) {
      // A fresh ingress qdisc (dropping whatever filter an older one had) with our one redirect.
      await tc(['qdisc', 'del', 'dev', veth, 'ingress'], true);
      await tc(['qdisc', 'add', 'dev', veth, 'handle', 'ffff:', 'ingress']);
      await tc(redirectArgs(veth, ifb));
    }
  }
  const live = await readShaping(ctid);
  if (!live || !sameRate(live.toVe, rateBits) || !sameRate(live.fromVe, rateBits)) {
    throw new VeError('INTERNAL', `VE ${ctid}: asked for ${rateBits} bits/s each way, the kernel shows ${JSON.stringify(live)}`);
  }
  const ifindex = await ifindexOf(veth);
  if (rateBits > 0 && ifindex !== undefined) shapedVeths.set(ctid, { ifindex, rate: rateBits });
  return live;
}

/** tc stores rates in bytes/s: a rate that is not a multiple of 8 bits reads back rounded down. */
export function sameRate(live: number, asked: number): boolean {
  return Math.abs(live - asked) < 8;
}
