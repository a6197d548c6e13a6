// The node's VE inventory as a change feed: every change (conf written or removed, power state seen
// to differ) gets the next generation number, so ve.list{since} answers only what changed (issue 15).
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { vePaths } from '../sys/paths';
import { kernelStates, runningFromSockets } from './kernel-states';
import { lxcList, lxcState, type LxcState } from './lxc-cli';
import { veItem, type VeListItem } from './list';
import { statusOf } from './power';
import { listCtids, readVe } from './ve-store';
import type { Runtime } from './runtime';

export { runningFromSockets } from './kernel-states';

export interface FeedCursor { epoch: string; gen: number }
export interface FeedAnswer extends FeedCursor {
  ves: VeListItem[];
  /** True: `ves` is every VE (first call, unknown or too old cursor, agent restarted). */
  full: boolean;
  /** Ctids gone since the cursor (delta answers only). */
  removed: number[];
}

interface Feed {
  epoch: string;               // new per build after a restart: an older cursor gets the full list
  gen: number;
  // Only the item itself: a change is told by comparing fields, not by keeping its JSON text too
  // (issue 15: heap after GC at 2,000 VEs, 131 bytes a VE instead of 585).
  items: Map<number, { gen: number; item: VeListItem }>;
  gone: Map<number, number>;   // ctid -> gen it was removed at
  floor: number;               // cursors below this lost tombstones: they get the full list
  dirty: Set<number>;          // confs written or removed since the last answer
  dirMtime: number;            // conf dir mtime after our last change: another writer moves it
}

const MAX_TOMBSTONES = 10_000;
const feeds = new Map<string, Feed>();
/** Conf reads and lxc-ls/lxc-info runs by the feed, for tests and the benchmark that prove an answer costs O(changes). */
export const feedStats = { confReads: 0, lxcLs: 0, lxcInfo: 0 };

const dirMtime = (vzroot: string) => stat(path.join(vzroot, 'conf')).then((s) => s.mtimeMs, () => 0);

/** A conf of `ctid` was written or removed: the next answer looks at it again. */
export async function noteVeChanged(vzroot: string, ctid: number): Promise<void> {
  const f = feeds.get(vzroot);
  if (!f) return;
  f.dirty.add(ctid);
  f.dirMtime = await dirMtime(vzroot);
}

/** What an agent restart does to the feed (tests). */
export function dropFeed(vzroot: string): void {
  feeds.delete(vzroot);
}

type Field = VeListItem[keyof VeListItem];
const sameField = (a: Field, b: Field): boolean =>
  a === b || (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]));

/** Same answer for the caller: the same fields with the same values (arrays element by element). */
export function sameItem(a: VeListItem, b: VeListItem): boolean {
  const ka = Object.keys(a) as (keyof VeListItem)[];
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && sameField(a[k], b[k]));
}

/** Memory the feed holds, for tests that prove it stays one compact record per VE. */
export function feedFootprint(vzroot: string): { entries: number; tombstones: number; fields: string[] } {
  const f = feeds.get(vzroot);
  const first = f?.items.values().next().value;
  return { entries: f?.items.size ?? 0, tombstones: f?.gone.size ?? 0, fields: first ? Object.keys(first) : [] };
}

function record(f: Feed, item: VeListItem): void {
  const cur = f.items.get(item.ctid);
  if (cur && sameItem(cur.item, item)) return;
  f.items.set(item.ctid, { gen: ++f.gen, item });
  f.gone.delete(item.ctid);
}

function forget(f: Feed, ctid: number): void {
  if (!f.items.delete(ctid)) return;
  f.gone.set(ctid, ++f.gen);
  if (f.gone.size <= MAX_TOMBSTONES) return;
  const [oldest, at] = f.gone.entries().next().value!;
  f.gone.delete(oldest);
  f.floor = at;
}

type StateOf = (ctid: number) => Promise<LxcState>;

async function refreshConf(rt: Runtime, f: Feed, ctid: number, stateOf: StateOf): Promise<void> {
  feedStats.confReads++;
  const c = await readVe(rt.vzroot, ctid).catch(() => null);
  if (!c) return forget(f, ctid);
  record(f, veItem(c, statusOf(await stateOf(ctid))));
}

/** More unsure VEs than this (an unknown cgroup layout): one lxc-ls beats that many lxc-info runs. */
const MAX_UNSURE = 32;

/**
 * Every VE's state for a full answer: from the socket table and freezer cgroups (files only), with
 * lxc-info for the few the files leave unsure; lxc-ls -f only when the files cannot be trusted.
 */
async function allStates(lxcpath: string): Promise<Map<number, LxcState>> {
  const k = await kernelStates(lxcpath);
  if (!k || k.unsure.length > MAX_UNSURE) {
    feedStats.lxcLs++;
    return lxcList(lxcpath);
  }
  for (const ctid of k.unsure) {
    feedStats.lxcInfo++;
    k.states.set(ctid, await lxcState(ctid, lxcpath));
  }
  return k.states;
}

/**
 * States of a delta answer's few VEs from the kernel files (issue 15: an lxc-info per new VE made a
 * delta after 100 creates take seconds), lxc-info for the ones the files leave unsure, or for each
 * when the files cannot be trusted.
 */
async function someStates(lxcpath: string, ctids: Set<number>): Promise<StateOf> {
  const k = ctids.size ? await kernelStates(lxcpath, ctids) : null;
  const unsure = new Set(k?.unsure);
  return async (c) => {
    if (k && !unsure.has(c)) return k.states.get(c) ?? 'STOPPED';
    feedStats.lxcInfo++;
    return lxcState(c, lxcpath);
  };
}

/**
 * Bring the feed up to date, reading a conf only for VEs written since the last answer. Power
 * states: one read of the socket table, then the freezer files of the VEs written or whose socket
 * came or went or that are frozen (lxc-info only for those the files leave unsure). `reread` (a
 * call without a cursor), or a conf dir another writer changed, rereads every conf and every state
 * (allStates: files, no lxc-ls): a hand edit in place, or a freeze behind the agent's back, shows
 * at the latest at the caller's next full pass.
 */
async function refresh(rt: Runtime, reread: boolean): Promise<Feed> {
  const lxcpath = vePaths(rt.vzroot, 0).lxcpath;
  let f = feeds.get(rt.vzroot);
  const mtime = await dirMtime(rt.vzroot);
  if (!f || reread || f.dirMtime !== mtime) {
    const states = await allStates(lxcpath);
    const prev = f;
    f = { epoch: prev?.epoch ?? randomUUID(), gen: prev?.gen ?? 0, items: prev?.items ?? new Map(), gone: prev?.gone ?? new Map(), floor: prev?.floor ?? 0, dirty: new Set(), dirMtime: mtime };
    feeds.set(rt.vzroot, f);
    const ctids = new Set(await listCtids(rt.vzroot));
    for (const ctid of f.items.keys()) if (!ctids.has(ctid)) forget(f, ctid);
    for (const ctid of ctids) await refreshConf(rt, f, ctid, async (c) => states.get(c) ?? 'STOPPED');
    return f;
  }
  const running = await runningFromSockets(lxcpath);
  const states = running ? undefined : await allStates(lxcpath);
  const dirty = new Set(f.dirty);
  f.dirty.clear();
  // Whose state to read: confs written since the last answer, and VEs whose socket says other than
  // the status recorded (started, stopped, or frozen: a suspended VE keeps its socket).
  const fits = (up: boolean, status: VeListItem['status']) => (up && status === 'running') || (!up && status === 'stopped');
  const moved = running ? [...f.items].filter(([ctid, e]) => !fits(running.has(ctid), e.item.status)).map(([ctid]) => ctid) : [];
  const stateOf = states ? async (c: number) => states.get(c) ?? 'STOPPED' : await someStates(lxcpath, new Set([...dirty, ...moved]));
  for (const ctid of dirty) await refreshConf(rt, f, ctid, stateOf);
  for (const ctid of moved) {
    const e = f.items.get(ctid);
    if (!e || dirty.has(ctid)) continue;
    const st = statusOf(await stateOf(ctid));
    const status = st === 'unknown' ? 'stopped' : st;
    if (e.item.status !== status) record(f, { ...e.item, status });
  }
  return f;
}

/** ve.list: the full inventory, or with a known cursor only what changed since it. */
export async function veFeed(rt: Runtime, since?: FeedCursor): Promise<FeedAnswer> {
  const f = await refresh(rt, !since);
  const delta = !!since && since.epoch === f.epoch && since.gen >= f.floor && since.gen <= f.gen;
  const ves = [...f.items.values()].filter((e) => !delta || e.gen > since.gen).map((e) => e.item).sort((a, b) => a.ctid - b.ctid);
  const removed = delta ? [...f.gone].filter(([, g]) => g > since.gen).map(([c]) => c) : [];
  return { epoch: f.epoch, gen: f.gen, full: !delta, ves, removed };
}
