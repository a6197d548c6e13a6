// The agent side of the comparison: through the real daemon (AgentClient over LocalTransport, the
// way the panel calls it) when the ve.* handlers are registered, else through the library functions.
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { cp, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { methods, type MethodName, type Notification } from '@/agents/protocol';
import { createVe } from '@/agents/src/lxc/create';
import { destroyVe } from '@/agents/src/lxc/destroy';
import { execInVe } from '@/agents/src/lxc/exec';
import { startVe, stopVe } from '@/agents/src/lxc/power';
import type { Runtime } from '@/agents/src/lxc/runtime';
import { withUndo } from '@/agents/src/sys/undo';
import { AgentClient } from '@/server/nodes/client';
import { LocalTransport } from '@/server/nodes/local';
import { ensureLocalDaemon, type LocalDaemon } from '@/server/nodes/local-daemon';
import { now } from './stats';
import type { BenchNode } from './node';

/** Progress marks of one call: [ms since the call began, pct, message]. */
export type Marks = [number, number, string][];

export interface AgentPath {
  mode: 'rpc' | 'library';
  /** Why this mode (e.g. which ve.* methods were missing). */
  why: string;
  /** Which agent bundle the daemon runs. */
  bundle?: string;
  daemon: LocalDaemon;
  create(ctid: number, ip: string): Promise<Marks>;
  /** One ve.create with start:true: what the panel's create task sends. */
  createStarted(ctid: number, ip: string): Promise<Marks>;
  start(ctid: number): Promise<Marks>;
  stop(ctid: number): Promise<void>;
  destroy(ctid: number): Promise<void>;
  exec?(ctid: number, argv: string[]): Promise<{ exitCode: number; stdout: string }>;
  close(): Promise<void>;
}

const VE_METHODS = { create: 've.create', start: 've.start', stop: 've.stop', destroy: 've.destroy', exec: 've.exec' } as const;

/** Same VE shape for both modes: the busybox template, one address, the agent's default limits. */
export const veInput = (node: BenchNode, ctid: number, ip: string) => ({
  ctid, ostemplate: node.template.manifest.name, hostname: `b${ctid}`, ips: [ip], gateway: '10.199.9.1', nameservers: ['10.199.9.1'],
});

export interface AgentBundle { bin: string; note: string }

/**
 * Build the agent bundle (npm run agent:build) and freeze a copy under <vzroot>/agent, so other
 * work rebuilding agents/dist mid-run cannot change what is measured. If the build fails (a
 * half-landed change in the shared tree), the last good agents/dist bundle is used and noted.
 */
export async function freezeAgentBundle(node: BenchNode): Promise<AgentBundle> {
  const repo = path.resolve(import.meta.dirname, '..', '..');
  let note = 'built from the working tree by agents/build.mjs';
  try {
    await promisify(execFile)('node', [path.join(repo, 'agents/build.mjs')]);
  } catch (e) {
    const why = String((e as { stderr?: string }).stderr ?? (e as Error).message).split('\n').find((l) => /ERROR/.test(l)) ?? 'build failed';
    const st = await stat(path.join(repo, 'agents/dist/vzagentd.js')).catch(() => null);
    if (!st) throw e;
    note = `agent build failed (${why.trim()}); using the last agents/dist bundle from ${st.mtime.toISOString()}`;
  }
  const dir = path.join(node.vzroot, 'agent');
  await mkdir(path.join(dir, 'bin'), { recursive: true });
  await cp(path.join(repo, 'agents/dist'), path.join(dir, 'dist'), { recursive: true });
  for (const b of ['vzagentd', 'vzagent']) await cp(path.join(repo, 'agents/bin', b), path.join(dir, 'bin', b));
  return { bin: path.join(dir, 'bin'), note };
}

/** Start a vzagentd on the bench node from the frozen bundle (`env`: extra environment, e.g. VZ_AGENT_TEST_HANDLERS=1). */
export async function startDaemon(node: BenchNode, bundle: AgentBundle, env?: Record<string, string>): Promise<LocalDaemon> {
  const daemon = await ensureLocalDaemon({ vzroot: node.vzroot, bridge: node.bridge, daemonBin: path.join(bundle.bin, 'vzagentd'), env });
  node.onCleanup(() => daemon.stop('SIGKILL'));
  return daemon;
}

export async function openAgentPath(node: BenchNode, opts: { force?: 'rpc' | 'library' } = {}): Promise<AgentPath> {
  const bundle = await freezeAgentBundle(node);
  const daemon = await startDaemon(node, bundle);
  const client = new AgentClient(new LocalTransport({ socket: daemon.socket, agentBin: path.join(bundle.bin, 'vzagent') }), { node: 'bench' });
  const hello = await client.hello();
  const served = new Set(hello.capabilities.methods ?? []);
  const need = [VE_METHODS.create, VE_METHODS.start, VE_METHODS.stop, VE_METHODS.destroy];
  const missing = need.filter((m) => !served.has(m) || !Object.hasOwn(methods, m));
  const useRpc = opts.force ? opts.force === 'rpc' : missing.length === 0;
  const p = useRpc
    ? rpcPath(node, daemon, client, served)
    : libraryPath(node, daemon, missing.length ? `daemon does not serve ${missing.join(', ')} yet` : 'forced with --mode library');
  if (!useRpc) await client.close();
  return { ...p, bundle: bundle.note };
}

// Names are checked against the table at run time above; the compile-time table may not list them yet.
type LooseCall = (m: MethodName, p: unknown, o?: { opId?: string; onNotification?: (n: Notification) => void }) => Promise<unknown>;

function rpcPath(node: BenchNode, daemon: LocalDaemon, client: AgentClient, served: Set<string>): AgentPath {
  const call = client.call.bind(client) as unknown as LooseCall;
  const marked = async (method: string, params: unknown): Promise<Marks> => {
    const marks: Marks = [];
    const t0 = now();
    const onNotification = (n: Notification) => {
      if (n.method === 'progress') marks.push([now() - t0, n.params.pct, n.params.message ?? '']);
    };
    await call(method as MethodName, params, { opId: `bench-${randomBytes(6).toString('hex')}`, onNotification });
    marks.push([now() - t0, 100, 'answered']);
    return marks;
  };
  return {
    mode: 'rpc', why: 'daemon serves ve.create/start/stop/destroy', daemon,
    create: (ctid, ip) => marked(VE_METHODS.create, veInput(node, ctid, ip)),
    createStarted: (ctid, ip) => marked(VE_METHODS.create, { ...veInput(node, ctid, ip), start: true }),
    start: (ctid) => marked(VE_METHODS.start, { ctid }),
    stop: async (ctid) => void (await marked(VE_METHODS.stop, { ctid, fast: true })),
    destroy: async (ctid) => void (await marked(VE_METHODS.destroy, { ctid })),
    exec: served.has(VE_METHODS.exec) && Object.hasOwn(methods, VE_METHODS.exec)
      ? async (ctid, argv) => (await call(VE_METHODS.exec as MethodName, { ctid, command: argv })) as { exitCode: number; stdout: string }
      : undefined,
    close: () => client.close(),
  };
}

function libraryPath(node: BenchNode, daemon: LocalDaemon, why: string): AgentPath {
  const rt = (marks: Marks, t0: number): Runtime => ({
    vzroot: node.vzroot, bridge: node.bridge, networks: node.networks,
    progress: (pct, message) => void marks.push([now() - t0, pct, message ?? '']),
  });
  const marked = async (fn: (r: Runtime) => Promise<unknown>): Promise<Marks> => {
    const marks: Marks = [];
    const t0 = now();
    await fn(rt(marks, t0));
    marks.push([now() - t0, 100, 'returned']);
    return marks;
  };
  return {
    mode: 'library', why, daemon,
    create: (ctid, ip) => marked((r) => withUndo((u) => createVe(r, veInput(node, ctid, ip), u))),
    createStarted: (ctid, ip) => marked((r) => withUndo(async (u) => {
      await createVe(r, veInput(node, ctid, ip), u);
      await startVe(r, ctid, u);
    })),
    start: (ctid) => marked((r) => withUndo((u) => startVe(r, ctid, u))),
    stop: async (ctid) => void (await marked((r) => stopVe(r, ctid, { fast: true }))),
    destroy: async (ctid) => void (await marked((r) => destroyVe(r, ctid))),
    exec: async (ctid, argv) => execInVe({ vzroot: node.vzroot, bridge: node.bridge }, { ctid, command: argv }),
    close: async () => {},
  };
}
