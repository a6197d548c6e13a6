// GET /api/backups/download/<token>: burns the single-use link, asks the node for an export token,
// and streams the backup's tree as a tarball straight from the agent (nothing is staged on the panel).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FrameDecoder, type ConsoleFrame } from '@/agents/protocol/console';
import type { PrismaClient } from '@/server/db/client';
import { isAppError } from '@/server/errors';
import { logger } from '@/server/logger';
import { getTransport } from '@/server/nodes/pool';
import { nodeSpec } from '@/server/nodes/spec';
import type { RpcChannel } from '@/server/nodes/transport';
import { claimDownload } from '@/server/services/backups/downloads';
import { agentForNode } from '@/server/operations/ve/agent';
import { describeRepoError, repoSpecOf } from './repo';
import { nodeForStorage } from './storage-tasks';

function fail(res: ServerResponse, status: number, message: string) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify({ message }));
}

// The CLI bridge may pass the daemon's one-line JSON ack before the frames (frame types are 1..5, never '{').
function framesOf(ch: RpcChannel, onFrame: (f: ConsoleFrame) => void, onEnd: (why?: string) => void) {
  const dec = new FrameDecoder();
  let head: Buffer | null = Buffer.alloc(0);
  ch.stream.on('data', (chunk: Buffer) => {
    let buf = chunk;
    if (head) {
      buf = Buffer.concat([head, chunk]);
      if (buf[0] === 0x7b) {
        const nl = buf.indexOf(0x0a);
        if (nl < 0) { head = buf; return; }
        const ack = buf.subarray(0, nl).toString('utf8');
        if (ack.includes('"error"')) return onEnd(ack);
        buf = buf.subarray(nl + 1);
      }
      head = null;
    }
    try {
      for (const f of dec.push(buf)) onFrame(f);
    } catch (e) {
      onEnd(`bad frame from agent: ${(e as Error).message}`);
    }
  });
  ch.stream.on('error', (e) => onEnd(e.message));
  ch.stream.on('close', () => onEnd(ch.stderrTail().trim() || 'stream closed'));
}

/** Serves one download; 404 for an unknown, used or expired link (the same answer for each). */
export async function serveBackupDownload(prisma: PrismaClient, req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
  if (req.method !== 'GET') return fail(res, 405, 'use GET');
  const backupId = await claimDownload(prisma, token);
  if (!backupId) return fail(res, 404, 'this download link is unknown, used or expired');
  const b = await prisma.backup.findUnique({ where: { id: backupId }, include: { storage: true, ve: { select: { nodeId: true } } } });
  if (!b?.resticId) return fail(res, 404, 'the backup is gone');
  let ch: RpcChannel;
  try {
    const nodeId = await nodeForStorage(prisma, b.ve?.nodeId ?? b.nodeId);
    const agent = await agentForNode(prisma, nodeId);
    const x = await agent.call('ve.backup.export', { repo: repoSpecOf(b.storage), snapshotId: b.resticId });
    const node = await prisma.node.findUniqueOrThrow({ where: { id: nodeId } });
    const t = getTransport(node.id, nodeSpec(node));
    if (!t.openBackupExportStream) return fail(res, 501, `the ${t.kind} transport cannot stream exports`);
    ch = await t.openBackupExportStream(x.token);
  } catch (e) {
    logger.warn({ backupId, err: (e as Error).message }, 'backup export failed to start');
    return fail(res, isAppError(e) && e.code === 'NODE_OFFLINE' ? 503 : 502, describeRepoError(b.storage, e));
  }
  const name = `vz${b.ctid}-${b.createdAt.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}.tar`;
  let ended = false;
  const end = (why?: string) => {
    if (ended) return;
    ended = true;
    ch.close();
    if (!res.headersSent) return fail(res, 502, why ?? 'export ended early');
    // Mid-stream failure: cut the connection so the client sees an incomplete download, not a short tarball.
    if (why) {
      logger.warn({ backupId, why }, 'backup download cut off mid-stream');
      res.destroy(new Error(why));
    }
    else res.end();
  };
  // The response's close (not the request's: that one fires once a GET's empty body is read) says the client left.
  res.on('close', () => { if (!res.writableFinished) end('client went away'); });
  framesOf(ch, (f) => {
    if (f.type === 'data') {
      if (!res.headersSent) {
        res.writeHead(200, { 'Content-Type': 'application/x-tar', 'Content-Disposition': `attachment; filename="${name}"`, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
      }
      if (!res.write(f.data) && !ch.stream.isPaused()) { ch.stream.pause(); res.once('drain', () => ch.stream.resume()); }
    } else if (f.type === 'exit') {
      if (!res.headersSent) res.writeHead(200, { 'Content-Type': 'application/x-tar', 'Content-Disposition': `attachment; filename="${name}"`, 'Cache-Control': 'no-store' });
      end(f.code === 0 ? undefined : `export exited with ${f.code}`);
    } else if (f.type === 'error') {
      end(`${f.code}: ${f.message}`);
    }
  }, (why) => end(why ?? 'stream closed'));
}
