// Moves template tarballs between the panel's store and node caches in chunks over the agent RPC
// (template.receive.* to a node, template.read from one); both ends check size and sha256.
import { createHash } from 'node:crypto';
import { open, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { FEATURES, TEMPLATE_CHUNK_MAX, type ResultOf } from '@/agents/protocol';
import { AppError, isAppError } from '@/server/errors';
import type { AgentClient } from '@/server/nodes/client';

type Manifest = ResultOf<'template.list'>['templates'][number];
/**
 * Bytes per call; VZ_TEMPLATE_CHUNK_BYTES (tests) overrides. The most a call takes: per-call cost
 * dominates (measured on the local transport, loaded machine: 1 MiB 3.0 MiB/s, 4 MiB 4.1 MiB/s).
 */
const chunkBytes = () => Math.min(TEMPLATE_CHUNK_MAX, Number(process.env.VZ_TEMPLATE_CHUNK_BYTES) || TEMPLATE_CHUNK_MAX);

async function needsReceive(agent: AgentClient, node: string) {
  const h = await agent.hello();
  if (!h.capabilities.features.includes(FEATURES.templateReceive)) throw new AppError('UNPROCESSABLE', `the agent on ${node} is too old to receive templates (no ${FEATURES.templateReceive}); update it`);
}

/** How long a push waits for another push of the same name to the node (a sync task and a create at once). */
const WAIT_OTHER_MS = 15 * 60_000;

// The node refuses a second transfer of one name: wait for the first; when it lands, begin answers have=true.
async function beginWhenFree(agent: AgentClient, node: string, manifest: Manifest) {
  for (const until = Date.now() + WAIT_OTHER_MS; ;) {
    try {
      return await agent.call('template.receive.begin', { manifest });
    } catch (e) {
      if (!(isAppError(e) && e.data?.agentCode === 'VE_LOCKED') || Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

/**
 * Sends `file` into the node's cache as `manifest`. Answers 'held' when the node already has that
 * name with that sha256 (nothing sent). A failure aborts the transfer, so the node keeps nothing.
 */
export async function pushTemplate(agent: AgentClient, node: string, file: string, manifest: Manifest, onProgress?: (pct: number) => void): Promise<'held' | 'pushed'> {
  await needsReceive(agent, node);
  const fh = await open(file, 'r').catch((e: Error) => {
    throw new AppError('UNPROCESSABLE', `the panel's copy of template ${manifest.name} is missing (${e.message}); upload it again`);
  });
  try {
    const b = await beginWhenFree(agent, node, manifest);
    if (b.have) return 'held';
    const transfer = b.transfer!;
    try {
      const buf = Buffer.alloc(chunkBytes());
      let offset = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        if (!bytesRead) break;
        const data = buf.subarray(0, bytesRead).toString('base64');
        // A chunk re-sent after a reconnect that the node had already written is refused naming the next offset: go on.
        await agent.call('template.receive.chunk', { transfer, offset, data }).catch((e) => {
          if (!(isAppError(e) && e.data?.expected === offset + bytesRead)) throw e;
        });
        offset += bytesRead;
        onProgress?.((100 * offset) / Math.max(1, manifest.sizeBytes));
      }
      await agent.call('template.receive.commit', { transfer });
      return 'pushed';
    } catch (e) {
      await agent.call('template.receive.abort', { transfer }).catch(() => undefined);
      throw e;
    }
  } finally {
    await fh.close();
  }
}

/**
 * Copies template `name` from a node's cache to `dest` on the panel, checking it against the
 * node's manifest and `sha256`; the file appears only whole and verified.
 */
export async function pullTemplate(agent: AgentClient, node: string, name: string, sha256: string, dest: string): Promise<void> {
  await needsReceive(agent, node);
  await mkdir(path.dirname(dest), { recursive: true, mode: 0o700 });
  const tmp = `${dest}.${process.pid}.${Date.now()}.part`;
  const fh = await open(tmp, 'wx', 0o600);
  const hash = createHash('sha256');
  try {
    let offset = 0;
    for (;;) {
      const r = await agent.call('template.read', { name, offset, length: chunkBytes() });
      const data = Buffer.from(r.data, 'base64');
      if (r.manifest.sha256 !== sha256) throw new AppError('CONFLICT', `node ${node} holds another build of ${name} (sha256 ${r.manifest.sha256.slice(0, 12)}…)`);
      await fh.write(data, 0, data.length, offset);
      hash.update(data);
      offset += data.length;
      if (r.eof || !data.length) break;
    }
    const got = hash.digest('hex');
    if (got !== sha256) throw new AppError('UNPROCESSABLE', `copy of ${name} from ${node} does not match its checksum (got ${got})`);
    await fh.sync();
    await fh.close();
    await rename(tmp, dest);
  } finally {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
  }
}
