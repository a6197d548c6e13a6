// POST /api/templates/upload?name=&arch=&description=: a rootfs tarball as the raw request body
// (gzip, xz, zstd or plain tar), streamed through the checks into the panel's template store. Staff
// who may change things only; refusals answer with the reason and keep nothing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import type { PrismaClient } from '@/server/db/client';
import { ERROR_CODES, isAppError } from '@/server/errors';
import { logger } from '@/server/logger';
import { sessionTokenFrom } from '@/server/api/cookies';
import { validateSession } from '@/server/services/auth/sessions';
import { canMutate } from '@/server/services/auth/roles';
import { writeAudit } from '@/server/services/audit';
import { uploadLimits } from '@/server/services/templates/upload/receive';
import { uploadTemplate } from '@/server/services/templates/upload/store';
import { crossSitePost } from './cross-site';

export const TEMPLATE_UPLOAD_PATH = '/api/templates/upload';

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(body));
}

// A refusal may come while the client is still sending: answer, then stop reading (and drop the
// connection soon) so a huge body is neither stored nor waited for.
function refuse(req: IncomingMessage, res: ServerResponse, status: number, appCode: string, message: string): void {
  res.setHeader('Connection', 'close');
  answer(res, status, { error: { message, data: { appCode } } });
  req.resume();
  res.once('finish', () => setTimeout(() => req.destroy(), 2000).unref());
}

export async function serveTemplateUpload(prisma: PrismaClient, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  if (req.method !== 'POST') return refuse(req, res, 405, 'METHOD_NOT_ALLOWED', 'Use POST with the archive as the body');
  if (crossSitePost(req)) return refuse(req, res, 403, 'FORBIDDEN', 'Cross-site request refused');
  const valid = await validateSession(prisma, sessionTokenFrom(req));
  if (!valid) return refuse(req, res, 401, 'UNAUTHENTICATED', 'Sign in first');
  if (valid.user.role !== 'admin' || !canMutate(valid.user.adminRole)) return refuse(req, res, 403, 'FORBIDDEN', 'Only administrators may upload templates');
  const limits = uploadLimits();
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limits.maxUploadBytes) return refuse(req, res, 413, 'TOO_LARGE', `the upload is larger than ${limits.maxUploadBytes} bytes`);
  const meta = { name: url.searchParams.get('name') ?? '', arch: url.searchParams.get('arch') ?? undefined, description: url.searchParams.get('description') ?? undefined };
  const body = new PassThrough();
  req.pipe(body);
  const audit = { actorType: 'user' as const, actorId: valid.user.id, actorLabel: valid.user.email, action: 'templates.upload', targetType: 'template', ip: req.socket.remoteAddress, userAgent: String(req.headers['user-agent'] ?? '') };
  try {
    const { template, version, upload } = await uploadTemplate(prisma, body, meta, { limits });
    await writeAudit(prisma, { ...audit, targetId: template.id, outcome: 'success', details: { name: template.name, versionNumber: version.number, sha256: template.sha256, uploadSha256: upload.uploadSha256 } });
    answer(res, 201, {
      template: { id: template.id, name: template.name, os: template.os, version: template.version, arch: template.arch, sizeBytes: Number(template.sizeBytes), sha256: template.sha256, versionNumber: version.number },
      upload: { bytes: upload.uploadBytes, sha256: upload.uploadSha256, compression: upload.compression, entries: upload.entries, unpackedBytes: upload.unpackedBytes, init: upload.init },
    });
  } catch (e) {
    req.unpipe(body);
    if (!isAppError(e)) throw e;
    logger.info({ name: meta.name, reason: e.message }, 'template upload refused');
    await writeAudit(prisma, { ...audit, targetId: meta.name, outcome: 'failure', details: { name: meta.name, reason: e.message } }).catch(() => {});
    refuse(req, res, ERROR_CODES[e.code], e.code, e.message);
  }
}
