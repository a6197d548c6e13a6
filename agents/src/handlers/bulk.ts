// bulk.* verbs: many VEs of this node in one call (issue 6, fleet operations).
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { AgentError } from '../daemon/errors';
import { defineHandler } from '../daemon/types';
import { aptCacheStats, assertBridgeAddress, bridgeIpv4, ensureAptCache, stopAptCache } from '../bulk/apt-cache';
import { bulkExec, bulkLogDir } from '../bulk/exec';

// Running bulk.exec calls by opId, so bulk.cancel can stop them from starting more VEs.
const running = new Map<string, AbortController>();

export const bulkExecHandler = defineHandler({
  method: 'bulk.exec',
  mutating: true,
  // No veOf: the call takes each VE's lock itself, and a busy VE fails alone.
  async run(params, ctx) {
    const runId = ctx.opId ?? `adhoc-${randomUUID()}`;
    const ac = new AbortController();
    const onShutdown = () => ac.abort();
    ctx.signal.addEventListener('abort', onShutdown);
    running.set(runId, ac);
    let done = 0;
    let lastProgress = 0;
    try {
      return await bulkExec(ctx.vzroot, runId, params, {
        signal: ac.signal,
        lock: ctx.tryLockVe,
        onItem: (r) => {
          done++;
          ctx.event?.('bulk.item', r);
          // The per-VE event is the real progress; the summary line is throttled.
          if (Date.now() - lastProgress >= 250 || done === params.items.length) {
            lastProgress = Date.now();
            ctx.progress((100 * done) / params.items.length, `${done}/${params.items.length} VEs`);
          }
        },
      });
    } finally {
      running.delete(runId);
      ctx.signal.removeEventListener('abort', onShutdown);
    }
  },
  // Commands cut short by an agent restart may or may not have run: never run them twice.
  recover: async () => ({ outcome: 'failed', code: 'OP_INTERRUPTED', message: 'the agent restarted during the bulk run; per-VE logs show how far it got' }),
});

export const bulkCancel = defineHandler({
  method: 'bulk.cancel',
  async run({ opId }) {
    const ac = running.get(opId);
    ac?.abort();
    return { opId, cancelled: !!ac };
  },
});

export const bulkLog = defineHandler({
  method: 'bulk.log',
  async run({ opId, ctid, maxBytes }, ctx) {
    // stdout is <ctid>.log; stderr, written to its own file so its tail stays separate, follows it under a marker.
    const base = path.join(bulkLogDir(ctx.vzroot, opId), String(ctid));
    const size = await stat(`${base}.log`).then((s) => s.size, () => -1);
    if (size < 0) throw new AgentError('NOT_FOUND', `no bulk log for VE ${ctid} in op ${opId}`);
    const err = await readFile(`${base}.err`).catch(() => Buffer.alloc(0));
    const buf = err.length ? Buffer.concat([await readFile(`${base}.log`), Buffer.from('\n--- stderr ---\n'), err]) : await readFile(`${base}.log`);
    return { opId, ctid, text: buf.subarray(Math.max(0, buf.length - maxBytes)).toString('utf8'), sizeBytes: buf.length, truncated: buf.length > maxBytes };
  },
});

export const bulkAptCache = defineHandler({
  method: 'bulk.aptCache',
  async run(p, ctx) {
    if (p.action === 'stats') return aptCacheStats(ctx.vzroot);
    if (p.action === 'stop') {
      await stopAptCache();
      return aptCacheStats(ctx.vzroot);
    }
    const address = p.address ?? (await bridgeIpv4(ctx.config.bridge));
    if (!address) throw new AgentError('UNSUPPORTED', `bridge ${ctx.config.bridge} has no IPv4 address for the package cache to listen on (set VZ_BRIDGE_ADDR)`);
    await assertBridgeAddress(ctx.config.bridge, address);
    return ensureAptCache(ctx.vzroot, { address, port: p.port, allowHosts: p.allowHosts });
  },
});

export const bulkHandlers = [bulkExecHandler, bulkCancel, bulkLog, bulkAptCache];
