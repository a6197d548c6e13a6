// Which VE holds which address on this node: read from the confs once, then kept by every conf
// write and removal, so the check on create is O(1) instead of one conf read per VE (issue 15).
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseCidr } from '../config/net-addr';
import { parseConfFile } from '../config/conf-file';
import type { VeConfig } from '../config/schema';
import { VeError } from '../sys/errors';
import { vePaths } from '../sys/paths';
import type { Undo } from '../sys/undo';

interface AddressIndex {
  owner: Map<string, number>;   // address -> ctid (conf on disk, or claimed by a create under way)
  held: Map<number, string[]>;  // ctid -> its addresses
  dirMtime: number;             // conf dir mtime after our last change: another writer moves it
}

const indexes = new Map<string, Promise<AddressIndex>>();
/** Conf files read to build indexes, for tests and the benchmark that prove the check stays O(1). */
export const addressIndexStats = { builds: 0, confReads: 0 };

const confDir = (vzroot: string) => path.join(vzroot, 'conf');
const addrsOf = (ips: string[]) => ips.map((s) => parseCidr(s)?.addr).filter((a): a is string => !!a);
const dirMtime = (vzroot: string) => stat(confDir(vzroot)).then((s) => s.mtimeMs, () => 0);

async function build(vzroot: string): Promise<AddressIndex> {
  addressIndexStats.builds++;
  const ix: AddressIndex = { owner: new Map(), held: new Map(), dirMtime: await dirMtime(vzroot) };
  const files = await readdir(confDir(vzroot)).catch(() => [] as string[]);
  for (const f of files) {
    const ctid = Number(/^(\d+)\.conf$/.exec(f)?.[1]);
    if (!ctid) continue;
    addressIndexStats.confReads++;
    const text = await readFile(path.join(confDir(vzroot), f), 'utf8').catch(() => null);
    const c = text === null ? null : (() => { try { return parseConfFile(text); } catch { return null; } })();
    if (c) put(ix, ctid, addrsOf(c.ips));
  }
  return ix;
}

function put(ix: AddressIndex, ctid: number, addrs: string[]): void {
  for (const a of ix.held.get(ctid) ?? []) if (ix.owner.get(a) === ctid) ix.owner.delete(a);
  ix.held.delete(ctid);
  if (!addrs.length) return;
  ix.held.set(ctid, addrs);
  for (const a of addrs) if (!ix.owner.has(a)) ix.owner.set(a, ctid);
}

/**
 * The node's index, built on first use (the daemon builds it at start). A conf dir changed by
 * another writer since our last change (an admin's hand edit) makes it rebuild once.
 */
async function indexOf(vzroot: string): Promise<AddressIndex> {
  let p = indexes.get(vzroot);
  if (!p) indexes.set(vzroot, (p = build(vzroot)));
  const ix = await p.catch(() => null);
  if (ix && ix.dirMtime === (await dirMtime(vzroot))) return ix;
  if (indexes.get(vzroot) === p) indexes.set(vzroot, (p = build(vzroot)));
  return p;
}

/** Build the index now (agent start), so the first create does not pay for it. */
export async function loadAddressIndex(vzroot: string): Promise<number> {
  return (await indexOf(vzroot)).held.size;
}

/** What an agent restart does: the memory goes, the next check rebuilds from the confs. */
export function dropAddressIndex(vzroot: string): void {
  indexes.delete(vzroot);
}

/** Record a conf just written (create, set, import, migration receive, restore) or removed (null). */
export async function noteConf(vzroot: string, ctid: number, c: Pick<VeConfig, 'ips'> | null): Promise<void> {
  pending.delete(claimKey(vzroot, ctid));
  const p = indexes.get(vzroot);
  if (!p) return; // not built yet: the build reads this conf from disk
  const ix = await p.catch(() => null);
  if (!ix) return;
  put(ix, ctid, c ? addrsOf(c.ips) : []);
  ix.dirMtime = await dirMtime(vzroot);
}

// Creates under way (vzroot, ctid): their claims hold although no conf exists yet.
const pending = new Set<string>();
const claimKey = (vzroot: string, ctid: number) => `${vzroot}\0${ctid}`;

/** Does `other` really hold `addr`? One conf read: a stale entry must never refuse a free address. */
async function holds(vzroot: string, ix: AddressIndex, other: number, addr: string): Promise<boolean> {
  if (pending.has(claimKey(vzroot, other))) return true;
  const text = await readFile(vePaths(vzroot, other).conf, 'utf8').catch(() => null);
  const addrs = text === null ? [] : addrsOf(parseConfFile(text).ips);
  put(ix, other, addrs);
  return addrs.includes(addr);
}

/**
 * Another VE on this node already holding one of `ips` -> IP_IN_USE (vzctl 78). With `undo`, the
 * addresses stay claimed for `ctid` until its conf is written (or the undo releases them), so two
 * creates running at once cannot both take one address.
 */
export async function claimIps(vzroot: string, ctid: number, ips: string[], undo?: Undo): Promise<void> {
  const ix = await indexOf(vzroot);
  const want = addrsOf(ips);
  for (const a of want) {
    const other = ix.owner.get(a);
    if (other === undefined || other === ctid) continue;
    if (await holds(vzroot, ix, other, a)) throw new VeError('IP_IN_USE', `address ${a} is already used by VE ${other}`, { ctid: other, ip: a });
  }
  if (!undo) return;
  const before = ix.held.get(ctid) ?? [];
  const key = claimKey(vzroot, ctid);
  put(ix, ctid, [...new Set([...before, ...want])]);
  pending.add(key);
  undo.push(`release addresses claimed for VE ${ctid}`, () => {
    pending.delete(key);
    put(ix, ctid, before);
  });
}
