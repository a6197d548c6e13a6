// Per-node template cache: <vzroot>/template/cache/<name>.tar.gz + <name>.json, verified on import.
import { copyFile, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { VeError } from '../sys/errors';
import { parseOrBadParams } from '../sys/params';
import { sha256File, templateManifest, TEMPLATE_NAME_RE, type TemplateManifest } from './manifest';

export const cacheDir = (vzroot: string) => path.join(vzroot, 'template', 'cache');

export interface CachedTemplate {
  manifest: TemplateManifest;
  tarball: string;
}

/**
 * Import a template tarball into the node cache after checking its size and sha256 against
 * the manifest. A mismatch throws BAD_PARAMS and leaves the cache untouched.
 */
export async function importTemplate(vzroot: string, tarball: string, manifestIn: unknown): Promise<CachedTemplate> {
  const manifest = parseOrBadParams(templateManifest, manifestIn, { what: 'invalid template manifest', at: 'manifest' });
  const st = await stat(tarball).catch(() => null);
  if (!st?.isFile()) throw new VeError('NOT_FOUND', `template tarball ${tarball} not found`);
  if (st.size !== manifest.sizeBytes) {
    throw new VeError('BAD_PARAMS', `template ${manifest.name}: size ${st.size} does not match manifest ${manifest.sizeBytes}`);
  }
  const dir = cacheDir(vzroot);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Copy first, then hash the copy: what we verify is exactly what we keep.
  const tmp = path.join(dir, `.${manifest.name}.${process.pid}.${Date.now()}.part`);
  try {
    await copyFile(tarball, tmp);
    const sum = await sha256File(tmp);
    if (sum !== manifest.sha256) {
      throw new VeError('BAD_PARAMS', `template ${manifest.name}: checksum mismatch (got ${sum}, manifest says ${manifest.sha256})`);
    }
    const dest = path.join(dir, `${manifest.name}.tar.gz`);
    await rename(tmp, dest);
    await writeFile(path.join(dir, `${manifest.name}.json`), JSON.stringify(manifest, null, 2) + '\n');
    return { manifest, tarball: dest };
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Look a template up in the cache; TEMPLATE_NOT_FOUND (vzctl 91) when absent. */
export async function findTemplate(vzroot: string, name: string): Promise<CachedTemplate> {
  if (!TEMPLATE_NAME_RE.test(name)) throw new VeError('BAD_PARAMS', `bad template name ${JSON.stringify(name)}`);
  const dir = cacheDir(vzroot);
  const raw = await readFile(path.join(dir, `${name}.json`), 'utf8').catch(() => null);
  const tarball = path.join(dir, `${name}.tar.gz`);
  if (raw === null || !(await stat(tarball).catch(() => null))) {
    throw new VeError('TEMPLATE_NOT_FOUND', `OS template ${name} is not in the cache of this node`);
  }
  return { manifest: templateManifest.parse(JSON.parse(raw)), tarball };
}

export async function listTemplates(vzroot: string): Promise<TemplateManifest[]> {
  const files = await readdir(cacheDir(vzroot)).catch(() => [] as string[]);
  const out: TemplateManifest[] = [];
  for (const f of files.filter((x) => x.endsWith('.json')).sort()) {
    const m = templateManifest.safeParse(JSON.parse(await readFile(path.join(cacheDir(vzroot), f), 'utf8')));
    if (m.success) out.push(m.data);
  }
  return out;
}

export async function removeTemplate(vzroot: string, name: string): Promise<void> {
  const t = await findTemplate(vzroot, name);
  await rm(t.tarball, { force: true });
  await rm(path.join(cacheDir(vzroot), `${name}.json`), { force: true });
}
