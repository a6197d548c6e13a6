// Builds a Debian template (a recipe of recipes.ts) with debootstrap minbase from the host's configured Debian mirror.
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';
import { hostArch, sha256File, templateManifest } from './manifest';
import { aptSources, assertSuiteServed, findRecipe, type DebianRecipe } from './recipes';
import type { BuiltTemplate } from './busybox';

/** First Debian (not -security) mirror URI named in apt sources, one-line or deb822 format. */
export function mirrorFromSources(texts: string[]): string | undefined {
  for (const t of texts) {
    for (const line of t.split('\n')) {
      const one = line.match(/^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/);
      if (one && /\/debian\/?$/.test(one[1]) && !one[2].includes('security')) return one[1];
    }
    for (const stanza of t.split(/\n\s*\n/)) {
      const uri = stanza.match(/^URIs:\s*(\S+)/m)?.[1];
      const suites = stanza.match(/^Suites:\s*(.+)$/m)?.[1] ?? '';
      if (uri && /\/debian\/?$/.test(uri) && !suites.includes('security')) return uri;
    }
  }
  return undefined;
}

export async function hostMirror(): Promise<string> {
  const texts: string[] = [];
  texts.push(await readFile('/etc/apt/sources.list', 'utf8').catch(() => ''));
  const d = '/etc/apt/sources.list.d';
  for (const f of (await readdir(d).catch(() => [] as string[])).sort()) texts.push(await readFile(path.join(d, f), 'utf8'));
  const m = mirrorFromSources(texts);
  if (!m) throw new VeError('NOT_FOUND', 'no Debian mirror found in /etc/apt/sources.list(.d)');
  return m;
}

export interface DebootstrapArgs {
  suite: string;
  target: string;
  mirror: string;
  arch?: string;
  include?: readonly string[];
  exclude?: readonly string[];
}

const PKG_RE = /^[a-z0-9][a-z0-9+.-]+$/;

/** Pure: the debootstrap argv (tested without running it). */
export function debootstrapArgv(a: DebootstrapArgs): string[] {
  if (!/^[a-z]+$/.test(a.suite)) throw new VeError('BAD_PARAMS', `bad suite ${a.suite}`);
  if (!/^https?:\/\/[^\s'"`$;]+$/.test(a.mirror)) throw new VeError('BAD_PARAMS', `bad mirror ${a.mirror}`);
  const inc = a.include ?? ['systemd-sysv', 'openssh-server'];
  const exc = a.exclude ?? [];
  for (const p of [...inc, ...exc]) if (!PKG_RE.test(p)) throw new VeError('BAD_PARAMS', `bad package ${p}`);
  return [
    '--variant=minbase',
    `--arch=${a.arch ?? hostArch()}`,
    ...(inc.length ? [`--include=${inc.join(',')}`] : []),
    ...(exc.length ? [`--exclude=${exc.join(',')}`] : []),
    a.suite,
    a.target,
    a.mirror,
  ];
}

const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' };

/** Point the image's apt at the suite (and its updates), and take the latest packages once. */
async function updatePackages(root: string, r: DebianRecipe, mirror: string): Promise<void> {
  await writeFile(path.join(root, 'etc/apt/sources.list'), aptSources(r, mirror));
  if (!r.updates) return;
  await run('chroot', [root, 'apt-get', 'update'], { env: APT_ENV, timeoutMs: 30 * 60_000 });
  await run('chroot', [root, 'apt-get', '-y', '-o', 'Dpkg::Options::=--force-confold', 'dist-upgrade'], { env: APT_ENV, timeoutMs: 60 * 60_000 });
}

/**
 * Build the template of a Debian recipe (default debian-12) into outDir: each run is a fresh
 * debootstrap plus upgrade, so a rebuild is a new tarball with the latest packages (several minutes).
 * A suite the mirror does not serve is refused (UNSUPPORTED) before anything is downloaded.
 */
export async function buildDebianTemplate(outDir: string, opts: { name?: string; mirror?: string } = {}): Promise<BuiltTemplate> {
  const recipe = findRecipe(opts.name ?? 'debian-12');
  const name = recipe.name;
  const mirror = opts.mirror ?? (await hostMirror());
  await assertSuiteServed(mirror, recipe);
  const work = await mkdtemp(path.join(tmpdir(), 'vz-deb-'));
  const root = path.join(work, 'rootfs');
  try {
    const argv = debootstrapArgv({ suite: recipe.suite, target: root, mirror, include: recipe.include, exclude: recipe.exclude });
    // Generous: minutes normally, but a loaded node's dpkg is slow (bullseye took >15 min with load 25).
    await run('debootstrap', argv, { timeoutMs: 90 * 60_000 });
    await updatePackages(root, recipe, mirror);
    // Container-friendly touches: no getty on ttys, an empty resolv.conf and hostname to be filled by create.
    await writeFile(path.join(root, 'etc/hostname'), 'localhost\n');
    await writeFile(path.join(root, 'etc/resolv.conf'), '');
    // Units an unprivileged VE cannot run: masked, `systemctl is-system-running` stays at "running".
    for (const unit of recipe.mask) {
      await symlink('/dev/null', path.join(root, 'etc/systemd/system', unit)).catch(() => undefined);
    }
    await run('chroot', [root, 'apt-get', 'clean']);
    // The package lists are a third of the image and stale at first use: the VE's `apt-get update` refetches them.
    const lists = path.join(root, 'var/lib/apt/lists');
    for (const f of await readdir(lists)) if (f !== 'partial' && f !== 'lock') await rm(path.join(lists, f), { recursive: true, force: true });
    await mkdir(outDir, { recursive: true });
    const tarball = path.join(outDir, `${name}.tar.gz`);
    await run('tar', ['--numeric-owner', '--xattrs', '--xattrs-include=*', '-czf', tarball, '-C', root, '.']);
    const manifest = templateManifest.parse({
      name, os: 'debian', version: recipe.version, arch: hostArch(),
      sizeBytes: (await stat(tarball)).size, sha256: await sha256File(tarball), init: '/sbin/init', createdAt: new Date().toISOString(),
    });
    const manifestPath = path.join(outDir, `${name}.json`);
    await writeFile(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
    return { tarball, manifestPath, manifest };
  } finally {
    await removeWork(work);
  }
}

/**
 * Remove a build folder even after debootstrap failed midway with /proc (or /sys, /dev/pts) still
 * mounted in its chroot: unmount those first, deepest first, so rm never reaches into the host's.
 */
async function removeWork(work: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n').map((l) => l.split(' ')[1] ?? '');
  for (const m of mounts.filter((x) => x.startsWith(`${work}/`)).sort((a, b) => b.length - a.length)) {
    await run('umount', ['-l', m], { allowFail: true });
  }
  await rm(work, { recursive: true, force: true });
}
