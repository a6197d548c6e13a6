// Task "node.bootstrap": installs the agent on a new node over SSH with the one-time credential.
import { AppError } from '@/server/errors';
import { getAgent } from '@/server/nodes/pool';
import { bootstrapNode, type BootstrapOptions } from '@/server/nodes/ssh/bootstrap';
import { loadOrCreatePanelKey } from '@/server/nodes/ssh/keys';
import { recordNodeOffline, recordNodeSeen } from '@/server/services/nodes';
import { registerTaskHandler, taskParams, type TaskContext } from '../tasks/registry';
import type { TaskParams } from '@/server/services/tasks/definitions';
import { nodeSpec } from '@/server/nodes/spec';
import { openCredential } from './credential';
import { explainBootstrapFailure } from './explain';
import { bootstrapOptionsFromEnv } from './lab-options';

/** Defined in server/services/tasks/definitions; the credential is sealed (see credential.ts) and erased when the task ends. */
export type NodeBootstrapParams = TaskParams<'node.bootstrap'>;

type OptionsFor = (node: { id: string; name: string }) => BootstrapOptions;
let optionsFor: OptionsFor = bootstrapOptionsFromEnv(process.env);

/** Where and how the agent is installed (tests: temp install root, no apt, direct start). */
export function configureNodeBootstrap(fn: OptionsFor): void {
  optionsFor = fn;
}

const STEPS: Record<string, number> = { connect: 5, 'check OS and kernel': 10, 'copy agent': 40, 'agent account': 50, 'write unit': 55, 'authorize panel key': 65, 'start agent': 75, 'verify with the restricted key': 85 };

async function eraseCredential(ctx: TaskContext) {
  const { credential: _gone, ...rest } = taskParams(ctx, 'node.bootstrap');
  await ctx.prisma.task.update({ where: { id: ctx.task.id }, data: { params: rest } });
}

async function run(ctx: TaskContext) {
  const p = taskParams(ctx, 'node.bootstrap');
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
    await ctx.log('bootstrap: first poll');
    await ctx.progress(95, 'first poll');
    const agent = getAgent(node.id, nodeSpec(ready));
    const [hello, info] = await Promise.all([agent.call('hello', {}), agent.call('node.info', {})]);
    const { capabilities, agentVersion, protocolVersion, hostname } = hello;
    await recordNodeSeen(ctx.prisma, node.id, { capabilities: { ...capabilities, agentVersion, protocolVersion, hostname }, info });
    return { node: node.name, installRoot: res.installRoot, startedBy: res.startedBy, agentVersion };
  } catch (e) {
    throw explainBootstrapFailure(e, p);
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
