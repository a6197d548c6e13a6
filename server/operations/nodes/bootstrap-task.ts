// Task "node.bootstrap": installs the agent on a new node over SSH with the one-time credential.
import type { Prisma } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { getAgent } from '@/server/nodes/pool';
import { bootstrapNode, type BootstrapOptions } from '@/server/nodes/ssh/bootstrap';
import { loadOrCreatePanelKey } from '@/server/nodes/ssh/keys';
import { recordNodeOffline, recordNodeSeen } from '@/server/services/nodes';
import { registerTaskHandler, type TaskContext } from '../tasks/registry';
import { nodeSpec } from '../node-spec';
import { openCredential } from './credential';

export interface NodeBootstrapParams {
  address: string;
  sshPort: number;
  sshUser: string;
  hostKeyFingerprint: string;
  /** Sealed one-time credential (see credential.ts); erased when the task ends. */
  credential?: string;
}

type OptionsFor = (node: { id: string; name: string }) => BootstrapOptions;
let optionsFor: OptionsFor = () => ({});

/** Where and how the agent is installed (tests: temp install root, no apt, direct start). */
export function configureNodeBootstrap(fn: OptionsFor): void {
  optionsFor = fn;
}

const STEPS: Record<string, number> = { connect: 5, 'copy agent': 40, 'agent account': 50, 'write unit': 55, 'authorize panel key': 65, 'start agent': 75, 'verify with the restricted key': 85 };

async function eraseCredential(ctx: TaskContext) {
  const { credential: _gone, ...rest } = ctx.task.params as unknown as NodeBootstrapParams;
  await ctx.prisma.task.update({ where: { id: ctx.task.id }, data: { params: rest as unknown as Prisma.InputJsonValue } });
}

async function run(ctx: TaskContext) {
  const p = ctx.task.params as unknown as NodeBootstrapParams;
  const nodeId = ctx.task.nodeId;
  if (!nodeId) throw new AppError('INTERNAL', 'node.bootstrap task names no node');
  try {
    const node = await ctx.prisma.node.findUniqueOrThrow({ where: { id: nodeId } });
    const cred = openCredential(p.credential);
    const res = await bootstrapNode(
      { host: p.address, port: p.sshPort, hostKeyFingerprint: p.hostKeyFingerprint, admin: { username: p.sshUser, ...cred }, panelKey: loadOrCreatePanelKey() },
      {
        ...optionsFor(node),
        onStep: (s) => {
          void ctx.log(`bootstrap: ${s}`);
          const pct = STEPS[s] ?? (s.startsWith('apt-get') ? 20 : undefined);
          if (pct !== undefined) void ctx.progress(pct, s);
        },
      },
    );
    await ctx.log(`agent installed in ${res.installRoot} (started by ${res.startedBy}); the panel now logs in only as ${res.agentUser} with its restricted key (shell round trip ${res.shellProbeMs} ms, agent ${res.helloMs} ms)`);
    // From now on the panel logs in as the agent account, never as the admin's user.
    const ready = await ctx.prisma.node.update({ where: { id: node.id }, data: { sshUser: res.agentUser } });
    // First poll right away, through the pooled restricted-key connection.
    const agent = getAgent(node.id, nodeSpec(ready));
    const [hello, info] = await Promise.all([agent.call('hello', {}), agent.call('node.info', {})]);
    const { capabilities, agentVersion, protocolVersion, hostname } = hello;
    await recordNodeSeen(ctx.prisma, node.id, { capabilities: { ...capabilities, agentVersion, protocolVersion, hostname }, info });
    return { node: node.name, installRoot: res.installRoot, startedBy: res.startedBy, agentVersion };
  } finally {
    await eraseCredential(ctx);
  }
}

let registered = false;

/** Registers node task types with the runner (idempotent). */
export function registerNodeTaskHandlers(): void {
  if (registered) return;
  registered = true;
  registerTaskHandler({
    type: 'node.bootstrap',
    run,
    async onFailed(ctx, e) {
      if (ctx.task.nodeId) await recordNodeOffline(ctx.prisma, ctx.task.nodeId, `bootstrap failed: ${e instanceof Error ? e.message : String(e)}`);
    },
  });
}
