import { z } from 'zod';
import { defineMethod } from '../define';
import { OpIdSchema } from '../envelope';
import { Ctid } from './ve';

/**
 * Fleet operations on one node (issue 6): a script or command in many VEs at once, each VE's
 * result streamed as an `event` {type:'bulk.item', data: BulkItemResult}, full output kept in
 * <vzroot>/bulk/<opId>/<ctid>.log; and a caching HTTP proxy for package updates.
 */
export const BulkItemResult = z.object({
  ctid: Ctid,
  /** ok = exit 0; failed = non-zero exit or timeout; error = could not run (not running, busy, missing). */
  state: z.enum(['ok', 'failed', 'error', 'cancelled']),
  exitCode: z.number().int().nullable(),
  durationMs: z.number().int(),
  stdoutTail: z.string(),
  stderrTail: z.string(),
  timedOut: z.boolean(),
  errorCode: z.string().optional(),
  error: z.string().optional(),
});
export type BulkItemResult = z.infer<typeof BulkItemResult>;

const EnvVars = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(65_536));

export const BulkExecParams = z.object({
  items: z.array(z.object({ ctid: Ctid })).min(1).max(10_000),
  command: z.array(z.string().max(65_536)).min(1).max(4096).optional(),
  script: z.string().max(4 * 2 ** 20).optional().describe('sent to /bin/sh on stdin'),
  timeoutSec: z.number().int().min(1).max(86_400).default(300).describe('per VE'),
  concurrency: z.number().int().min(1).max(256).default(8).describe('VEs at once on this node'),
  env: EnvVars.optional(),
  /** Bytes of each stream's tail put in the event and the result. */
  tailBytes: z.number().int().min(0).max(65_536).default(2048),
}).refine((p) => !!p.command !== (p.script !== undefined), 'give exactly one of command or script');

export const BulkExecResult = z.object({
  total: z.number().int(), ok: z.number().int(), failed: z.number().int(), errors: z.number().int(), cancelled: z.number().int(),
  durationMs: z.number().int(),
  logDir: z.string(),
  items: z.array(BulkItemResult),
});

export const AptCacheStats = z.object({
  running: z.boolean(),
  address: z.string().optional(),
  port: z.number().int().optional(),
  /** `Acquire::http::Proxy` value for VEs. */
  proxyUrl: z.string().optional(),
  cacheDir: z.string(),
  allowHosts: z.array(z.string()),
  /** Upstream fetches per URL since the proxy started (a cache hit is not a fetch). */
  upstreamFetches: z.record(z.string(), z.number().int()),
  hits: z.number().int(),
  misses: z.number().int(),
});

const HostPort = z.string().max(260).regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'host or host:port');

export const bulkMethods = {
  'bulk.exec': defineMethod({
    params: BulkExecParams, result: BulkExecResult, mutating: true,
    description: 'Run a script (stdin to /bin/sh) or a command in many VEs in parallel; streams one bulk.item event per VE.',
  }),
  'bulk.cancel': defineMethod({
    params: z.object({ opId: OpIdSchema }), result: z.object({ opId: OpIdSchema, cancelled: z.boolean() }), mutating: false,
    description: 'Stop a running bulk.exec from starting more VEs (running ones finish).',
  }),
  'bulk.log': defineMethod({
    params: z.object({ opId: OpIdSchema, ctid: Ctid, maxBytes: z.number().int().min(1).max(16 * 2 ** 20).default(2 ** 20) }),
    result: z.object({ opId: OpIdSchema, ctid: Ctid, text: z.string(), sizeBytes: z.number().int(), truncated: z.boolean() }),
    mutating: false,
    description: 'The full output of one VE in one bulk.exec (the last maxBytes).',
  }),
  'bulk.aptCache': defineMethod({
    params: z.object({
      action: z.enum(['ensure', 'stats', 'stop']),
      /** Listen address: default the first IPv4 address of the node bridge. */
      address: z.string().max(45).regex(/^[0-9.]+$/).optional(),
      port: z.number().int().min(1).max(65_535).optional(),
      /** Upstream hosts VEs may fetch through the cache (default: the Debian mirrors). */
      allowHosts: z.array(HostPort).max(32).optional(),
    }),
    result: AptCacheStats, mutating: false,
    description: 'The node\'s shared package cache: a caching HTTP proxy on the bridge that fetches each file once.',
  }),
};
