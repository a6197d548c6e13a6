// The way in from OpenVZ from the panel (issue 16): OpenVZ hosts added over SSH (host key pinned as
// for nodes), their VEs listed and dry-run on the node that will run them, then imported as a task.
// The node does the reading and copying (agents/src/import); the panel checks ctid, addresses and plan.
import type { ResultOf } from '@/agents/protocol';
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { fetchHostKey } from '@/server/nodes/ssh/hostkey';
import { loadOrCreateImportKey } from '@/server/nodes/ssh/keys';
import { confirmedHostKey } from '@/server/operations/nodes';
import { enqueueTaskTx } from '@/server/services/tasks/enqueue';
import { effectiveLimits, LimitFields, LIMIT_KEYS, type LimitKey, type Limits } from '@/server/services/plans/limits';
import { actorFields } from '@/server/services/ves/lock';
import type { Actor } from '@/server/services/ves/scope';
import { agentForNode } from '../ve/agent';
import { panelLimits } from '../ve/limits';

type AgentPlan = ResultOf<'ve.import.plan'>;
const TX = { maxWait: 10_000, timeout: 20_000 };

/** What the admin adds to root's authorized_keys on the OpenVZ host. */
export function importPublicKey(): string {
  return loadOrCreateImportKey().publicKey;
}

export async function probeSource(host: string, port: number) {
  const key = await fetchHostKey(host, port);
  return { fingerprint: key.fingerprint, publicKey: key.publicKey, importKey: importPublicKey() };
}

export interface AddSourceInput { name: string; host: string; port: number; user: string; confDir: string; hostKeyFingerprint: string }

/** Pins the host key the admin confirmed (read again now: it must still be the same). */
export async function addSource(prisma: PrismaClient, i: AddSourceInput) {
  const key = await confirmedHostKey(i.host, i.port, i.hostKeyFingerprint);
  const exists = await prisma.openvzSource.findUnique({ where: { name: i.name } });
  if (exists) throw new AppError('CONFLICT', `An OpenVZ source named ${i.name} exists`, { field: 'name' });
  return prisma.openvzSource.create({ data: { ...i, hostKey: key.publicKey, hostKeyFingerprint: key.fingerprint } });
}

async function sshOf(prisma: PrismaClient, sourceId: string) {
  const s = await prisma.openvzSource.findUnique({ where: { id: sourceId } });
  if (!s) throw new AppError('NOT_FOUND', 'OpenVZ source not found');
  const key = loadOrCreateImportKey();
  return { source: s, ssh: { host: s.host, port: s.port, user: s.user, hostKey: s.hostKey, privateKey: key.privateKey } };
}

async function targetNode(prisma: PrismaClient, nodeId: string) {
  const node = await prisma.node.findUnique({ where: { id: nodeId } });
  if (!node) throw new AppError('NOT_FOUND', 'Node not found', { field: 'nodeId' });
  if (node.state !== 'online') throw new AppError('UNPROCESSABLE', `Node ${node.name} is ${node.state}: import to an online node`, { field: 'nodeId' });
  return node;
}

/** The OpenVZ host's VEs as the target node sees them (the node reads them over SSH). */
export async function listSourceVes(prisma: PrismaClient, sourceId: string, nodeId: string) {
  const { source, ssh } = await sshOf(prisma, sourceId);
  await targetNode(prisma, nodeId);
  const agent = await agentForNode(prisma, nodeId);
  const { ves } = await agent.call('ve.import.list', { ssh, confDir: source.confDir }, { timeoutMs: 120_000 });
  const taken = new Set((await prisma.ve.findMany({ where: { ctid: { in: ves.map((v) => v.ctid) } }, select: { ctid: true } })).map((v) => v.ctid));
  return ves.map((v) => ({ ctid: v.ctid, hostname: v.hostname ?? null, ips: v.ips, layout: v.layout, ostemplate: v.ostemplate, ctidTaken: taken.has(v.ctid), problems: v.problems }));
}

export interface PlanInput { sourceId: string; nodeId: string; sourceCtid: number; ctid?: number; planId: string }

// Translated limits onto the panel's grid and ranges (whole MiB, its minimums): what the node then gets exactly.
function panelGrid(a: AgentPlan['limits']): { limits: Partial<Limits>; notes: string[] } {
  const raw = panelLimits(a);
  const limits: Partial<Limits> = {};
  const notes: string[] = [];
  for (const k of LIMIT_KEYS) {
    const v = raw[k];
    if (v === undefined) continue;
    const r = LimitFields[k].safeParse(Math.ceil(v));
    if (r.success) limits[k] = r.data;
    else notes.push(`${k} ${Math.ceil(v)} is outside the panel's range: the plan's value applies`);
  }
  return { limits, notes };
}

/** The dry run: the node's mapping plus the panel's own checks (ctid, addresses in the node's pools, plan). */
export async function planSourceVe(prisma: PrismaClient, i: PlanInput) {
  const { source, ssh } = await sshOf(prisma, i.sourceId);
  const node = await targetNode(prisma, i.nodeId);
  const plan = await prisma.plan.findUnique({ where: { id: i.planId } });
  if (!plan) throw new AppError('NOT_FOUND', 'Plan not found', { field: 'planId' });
  const agent = await agentForNode(prisma, i.nodeId);
  const conf = `${source.confDir.replace(/\/+$/, '')}/${i.sourceCtid}.conf`;
  const a = await agent.call('ve.import.plan', { ssh, conf, ctid: i.ctid ?? i.sourceCtid }, { timeoutMs: 30 * 60_000 });
  const problems = a.problems.filter((p) => !p.startsWith('address '));
  const { limits: taken, notes } = panelGrid(a.limits);
  const overrides: Partial<Limits> = {};
  for (const k of Object.keys(taken) as LimitKey[]) if (taken[k] !== plan[k]) overrides[k] = taken[k];
  const limits = effectiveLimits(plan, overrides);
  if (await prisma.ve.findUnique({ where: { ctid: a.ctid } })) problems.push(`CTID ${a.ctid} is already used by a VE in the panel: import as another ctid`);
  const bare = a.ips.map((ip) => ip.split('/')[0]);
  const rows = await prisma.ipAddress.findMany({ where: { address: { in: bare } }, include: { pool: { include: { nodes: { select: { id: true } } } } } });
  const addresses = bare.map((address) => {
    const r = rows.find((x) => x.address === address);
    const servesNode = !!r && (r.pool.nodes.some((n) => n.id === node.id) || (!!node.nodeGroupId && r.pool.nodeGroupId === node.nodeGroupId));
    const problem = !r ? `${address} is in no IP pool: add it to a pool of node ${node.name} first`
      : !servesNode ? `${address} is in pool ${r.pool.name}, which does not serve node ${node.name}`
        : r.veId ? `${address} already belongs to another VE`
          : r.reserved ? `${address} is reserved in pool ${r.pool.name}` : null;
    if (problem) problems.push(problem);
    return { address, pool: r?.pool.name ?? null, ok: !problem };
  });
  return { source: source.name, node: node.name, conf, agent: a, limits, overrides, notes, addresses, problems };
}

export interface ImportInput extends PlanInput { ownerId?: string | null; start: boolean }

/**
 * Imports one OpenVZ VE: re-plans (nothing may block), then in one transaction writes the Ve row
 * (state creating), claims its addresses and the template label, and queues `ve.import`.
 */
export async function requestImport(prisma: PrismaClient, actor: Actor, i: ImportInput) {
  const p = await planSourceVe(prisma, i);
  if (p.problems.length) throw new AppError('UNPROCESSABLE', `Cannot import: ${p.problems.join('; ')}`, { problems: p.problems });
  if (i.ownerId && !(await prisma.user.findFirst({ where: { id: i.ownerId, role: 'customer' } }))) throw new AppError('NOT_FOUND', 'Customer not found', { field: 'ownerId' });
  return prisma.$transaction(async (tx) => {
    // The VE keeps its own files: the template row only names where they came from, and is never offered for installs.
    const template = await tx.template.upsert({
      where: { name: p.agent.ostemplate }, update: {},
      create: { name: p.agent.ostemplate, os: p.agent.ostemplate.replace(/^openvz-/, ''), version: 'imported', arch: 'x86_64', sizeBytes: 0n, sha256: '0'.repeat(64), enabled: false, description: 'Imported from OpenVZ' },
    });
    const ve = await tx.ve.create({
      data: {
        ctid: p.agent.ctid, hostname: p.agent.hostname ?? `ve${p.agent.ctid}`, nodeId: i.nodeId, planId: i.planId, templateId: template.id,
        ownerId: i.ownerId ?? null, state: 'creating', limits: p.limits, overrides: p.overrides, onboot: p.agent.onboot, nameservers: p.agent.nameservers,
      },
    });
    const bare = p.addresses.map((a) => a.address);
    const claimed = await tx.ipAddress.updateMany({ where: { address: { in: bare }, veId: null, reserved: false }, data: { veId: ve.id, assignedAt: new Date() } });
    if (claimed.count !== bare.length) throw new AppError('CONFLICT', 'An address of the VE was taken meanwhile; look again');
    const addrs = await tx.ipAddress.findMany({ where: { veId: ve.id }, include: { pool: true } });
    const task = await enqueueTaskTx(tx, {
      type: 've.import',
      params: {
        sourceId: i.sourceId, conf: p.conf, limits: p.limits, template: template.name, start: i.start,
        addresses: addrs.map((a) => ({ address: a.address, family: a.pool.family === 6 ? 6 : 4, prefix: a.pool.prefix, gateway: a.pool.gateway })),
      },
      veId: ve.id, ctid: ve.ctid, nodeId: i.nodeId, ...actorFields(actor),
    });
    return { veId: ve.id, ctid: ve.ctid, taskId: task.id };
  }, TX);
}

export { sshOf as importSsh };
