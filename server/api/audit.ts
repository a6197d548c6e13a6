// The audit side of the tRPC middleware: turns one finished mutation into one AuditLog row.
import type { TRPCError } from '@trpc/server';
import { logger } from '@/server/logger';
import { writeAudit } from '@/server/services/audit';
import type { AuditOutcome } from '@/server/db/client';
import type { Context } from './context';
import { describeError } from './errors';

/** Filled in while a mutation runs: the verified API key (set by apiKeyProcedure) and an explicit target. */
export interface AuditScratch {
  apiKey?: { id: string; name: string };
  target?: { type: string; id: string };
  details?: Record<string, unknown>;
}

// Target type by router: the first path segment names what an `id` input refers to.
const DOMAIN_TARGET: Record<string, string> = {
  ves: 've', portal: 've', billing: 've', nodes: 'node', plans: 'plan', ipPools: 'ipPool', customers: 'user',
  apiKeys: 'apiKey', templates: 'template', webhooks: 'webhook', tasks: 'task', auth: 'user', staff: 'user', nodeGroups: 'nodeGroup', backups: 'backup',
};

const str = (v: unknown) => (typeof v === 'string' && v.length > 0 && v.length <= 200 ? v : undefined);

function targetOf(path: string, input: unknown, data: unknown, scratch: AuditScratch): { type: string; id: string } | null {
  if (scratch.target) return scratch.target;
  const i = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const d = (data && typeof data === 'object' ? data : {}) as Record<string, unknown>;
  const veId = str(i.veId) ?? str((d.ve as Record<string, unknown> | undefined)?.id);
  if (veId) return { type: 've', id: veId };
  const type = DOMAIN_TARGET[path.split('.')[0]] ?? path.split('.')[0];
  const id = str(i.id) ?? str(d.id) ?? str((d[type] as Record<string, unknown> | undefined)?.id);
  return id ? { type, id } : null;
}

function actorOf(ctx: Context, scratch: AuditScratch) {
  if (ctx.user) return { actorType: 'user' as const, actorId: ctx.user.id, actorLabel: ctx.user.email };
  if (scratch.apiKey) return { actorType: 'apiKey' as const, actorId: scratch.apiKey.id, actorLabel: scratch.apiKey.name };
  // An unverified bearer token: keep only its public prefix (vzk_<prefix>_…), never the secret part.
  const prefix = ctx.bearer && /^vzk_([a-z2-7]{8})_/.exec(ctx.bearer)?.[1];
  if (ctx.bearer) return { actorType: 'apiKey' as const, actorId: null, actorLabel: prefix ? `unverified key ${prefix}` : 'malformed key' };
  return { actorType: 'user' as const, actorId: null, actorLabel: 'anonymous' };
}

/** Writes the audit row of one mutation; never fails the request (a write error is logged). */
export async function recordMutation(
  ctx: Context,
  scratch: AuditScratch,
  path: string,
  getRawInput: () => Promise<unknown>,
  result: { ok: true; data: unknown } | { ok: false; error: TRPCError },
): Promise<void> {
  try {
    const input = await getRawInput().catch(() => undefined);
    let outcome: AuditOutcome = 'success';
    const details: Record<string, unknown> = { input, ...scratch.details };
    if (!result.ok) {
      const d = describeError(result.error);
      outcome = result.error.code === 'UNAUTHORIZED' || result.error.code === 'FORBIDDEN' ? 'denied' : 'failure';
      Object.assign(details, { error: d.message, code: d.appCode });
    }
    const target = targetOf(path, input, result.ok ? result.data : undefined, scratch);
    await writeAudit(ctx.prisma, { ...actorOf(ctx, scratch), action: path, targetType: target?.type, targetId: target?.id, ip: ctx.ip, userAgent: ctx.userAgent, outcome, details });
  } catch (err) {
    logger.error({ err, path }, 'audit write failed');
  }
}
