import { z } from 'zod';
import { defineMethod } from '../define';
import { OpIdSchema } from '../envelope';
import { BackupCapability } from './backup';

export const HelloResult = z.object({
  agentVersion: z.string(),
  protocolVersion: z.number().int(),
  hostname: z.string(),
  capabilities: z.object({
    lxcVersion: z.string(),
    cgroup: z.enum(['v1', 'v2']),
    criu: z.object({
      usable: z.boolean(),
      reason: z.string().optional(),
      /** What the node's CRIU measured itself able to do (additive; absent from older agents). */
      path: z.string().optional(),
      version: z.string().optional(),
      dump: z.boolean().optional(),
      restore: z.boolean().optional(),
      preDump: z.boolean().optional(),
      lazyPages: z.boolean().optional(),
      networkLock: z.enum(['nftables', 'iptables', 'none']).optional(),
      notes: z.array(z.string()).optional(),
    }),
    storage: z.array(z.string()),
    features: z.array(z.string()),
    /** Methods this agent has handlers for (additive field). */
    methods: z.array(z.string()).optional(),
  }),
});

export const NodeInfoResult = z.object({
  cpus: z.number().int().positive(),
  memory: z.object({ totalBytes: z.number().int().nonnegative(), availableBytes: z.number().int().nonnegative() }),
  disk: z.object({ path: z.string(), totalBytes: z.number().int().nonnegative(), freeBytes: z.number().int().nonnegative() }),
  load: z.tuple([z.number(), z.number(), z.number()]),
  uptimeSeconds: z.number().nonnegative(),
  ves: z.object({ total: z.number().int().nonnegative(), running: z.number().int().nonnegative() }),
  /** The node's CRIU as hello reports it (additive). */
  criu: HelloResult.shape.capabilities.shape.criu.optional(),
  /** How backups and snapshots copy a VE image here (additive: absent from older agents). */
  backup: BackupCapability.optional(),
  /** Node settings density needs, each with whether it is enough for targetVes VEs (additive: absent from older agents). */
  density: z.object({
    targetVes: z.number().int().positive(),
    settings: z.array(z.object({
      key: z.string(), label: z.string(), value: z.number().nullable(), needed: z.number(), enough: z.boolean(), why: z.string(),
    })),
    /** The VE bridge and its overflow bridges with their port use (additive: absent before overflow bridges). */
    bridges: z.array(z.object({
      name: z.string(), role: z.enum(['main', 'overflow']), ports: z.number().int().nonnegative(), vePorts: z.number().int().nonnegative(), limit: z.number().int().positive(),
    })).optional(),
  }).optional(),
});

export const OpStatusResult = z.object({
  opId: OpIdSchema,
  method: z.string(),
  status: z.enum(['running', 'done', 'failed', 'interrupted', 'unknown']),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

/** Methods every agent has: handshake, node figures, journal lookup. */
export const coreMethods = {
  hello: defineMethod({
    params: z.object({ clientVersion: z.string().optional(), protocolVersion: z.number().int().optional() }).default({}),
    result: HelloResult,
    mutating: false,
    description: 'Agent version and node capabilities.',
  }),
  'node.info': defineMethod({
    params: z.object({}).default({}),
    result: NodeInfoResult,
    mutating: false,
    description: 'CPU, memory, disk, load, uptime and VE counts of the node.',
  }),
  'op.status': defineMethod({
    params: z.object({ opId: OpIdSchema }),
    result: OpStatusResult,
    mutating: false,
    description: 'What the journal knows about an operation id (never runs it).',
  }),
};
