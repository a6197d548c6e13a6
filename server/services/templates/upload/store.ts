// An uploaded template: checked and stored on the panel (receive.ts), then recorded as a Template row.
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { addTemplateVersion, VERSION_SUFFIX } from '../versions';
import { queueSyncsForTemplate } from '../distribution/queue';
import { logger } from '@/server/logger';
import { receiveArchive, type UploadLimits } from './receive';

/** Where the panel keeps template tarballs it pushes to nodes (VZPANEL_TEMPLATE_DIR, else <data dir>/templates). */
export const templateStoreDir = (env = process.env): string =>
  path.resolve(env.VZPANEL_TEMPLATE_DIR ?? path.join(env.VZPANEL_DATA_DIR ?? '/var/lib/vzpanel', 'templates'));

// The same shape nodes accept for a cache key (agents/src/templates/manifest.ts TEMPLATE_NAME_RE).
const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const ARCH_RE = /^[a-z0-9_]{1,16}$/;

export interface UploadMeta {
  name: string;
  arch?: string;
  description?: string;
}

function checkMeta(m: UploadMeta): Required<UploadMeta> {
  if (!NAME_RE.test(m.name) || VERSION_SUFFIX.test(m.name)) throw new AppError('BAD_INPUT', 'name: lowercase letters, digits, ".", "_" and "-", up to 64, starting with a letter or digit, not ending in .v<number>', { field: 'name' });
  const arch = m.arch || 'amd64';
  if (!ARCH_RE.test(arch)) throw new AppError('BAD_INPUT', 'arch: e.g. amd64 or arm64', { field: 'arch' });
  return { name: m.name, arch, description: (m.description ?? '').slice(0, 500) };
}

/**
 * Receives `src` as the next version of template `meta.name` (version 1 of a new name). Refused
 * archives (UNPROCESSABLE, TOO_LARGE) leave no file and no row behind.
 */
export async function uploadTemplate(prisma: PrismaClient, src: Readable, meta: UploadMeta, opts: { dir?: string; limits: UploadLimits }) {
  const m = checkMeta(meta);
  const dir = opts.dir ?? templateStoreDir();
  const got = await receiveArchive(src, dir, opts.limits);
  const final = path.join(dir, m.name, `${got.sha256}.tar.gz`);
  let renamed = false;
  try {
    await mkdir(path.dirname(final), { recursive: true, mode: 0o700 });
    const existed = await stat(final).then(() => true, () => false);
    await rename(got.file, final);
    renamed = !existed;
    const { template, version } = await addTemplateVersion(prisma, m.name, m.arch, m.description || got.prettyName, {
      os: got.os, osVersion: got.version, sizeBytes: BigInt(got.sizeBytes), sha256: got.sha256, storagePath: final, source: 'upload',
    });
    // Ahead of need: the new version starts towards every online node now (a failure here is the distributor's to retry).
    await queueSyncsForTemplate(prisma, template.id, `new version ${version.number}`).catch((err) => logger.warn({ err: (err as Error).message, template: m.name }, 'could not queue template copies'));
    return { template, version, upload: got };
  } catch (e) {
    await rm(got.file, { force: true });
    if (renamed) await rm(final, { force: true });
    throw e;
  }
}
