// Template manifest: the identity and checksum a cached OS template tarball is verified against.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { z } from 'zod';

export const TEMPLATE_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export const templateManifest = z.object({
  name: z.string().regex(TEMPLATE_NAME_RE).describe('cache key, e.g. busybox or debian-12'),
  os: z.string().regex(/^[a-z0-9._-]{1,32}$/).describe('distribution id (os-release ID)'),
  version: z.string().regex(/^[A-Za-z0-9._+~-]{1,32}$/),
  arch: z.string().regex(/^[a-z0-9_]{1,16}$/),
  sizeBytes: z.number().int().nonnegative().describe('size of the tarball'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Init the template boots with; used by status checks (vzctl exit 47 when missing). */
  init: z.string().default('/sbin/init'),
  createdAt: z.string().optional(),
});
export type TemplateManifest = z.infer<typeof templateManifest>;

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (b) => h.update(b))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** Debian-style architecture name of this host. */
export function hostArch(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: 'i386', arm: 'armhf', ppc64: 'ppc64el', s390x: 's390x' };
  return map[process.arch] ?? process.arch;
}
