// Builds the `debian-12` template with debootstrap minbase from the host's configured Debian mirror.
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';
import { hostArch, sha256File, templateManifest } from './manifest';
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
  include?: string[];
}

/** Pure: the debootstrap argv (tested without running it). */
export function debootstrapArgv(a: DebootstrapArgs): string[] {
  if (!/^[a-z]+$/.test(a.suite)) throw new VeError('BAD_PARAMS', `bad suite ${a.suite}`);
  if (!/^https?:\/\/[^\s'"`$;]+$/.test(a.mirror)) throw new VeError('BAD_PARAMS', `bad mirror ${a.mirror}`);
  // minbase has no init at all; systemd-sysv gives the VE its PID 1 (and sshd its unit).
  const inc = a.include ?? ['systemd-sysv', 'openssh-server'];
  for (const p of inc) if (!/^[a-z0-9][a-z0-9+.-]+$/.test(p)) throw new VeError('BAD_PARAMS', `bad package ${p}`);
  return [
    '--variant=minbase',
    `--arch=${a.arch ?? hostArch()}`,
    ...(inc.length ? [`--include=${inc.join(',')}`] : []),
    a.suite,
    a.target,
    a.mirror,
  ];
}

/** Build debian-12 (bookworm) into outDir; takes about 70 s here. */
export async function buildDebianTemplate(outDir: string, opts: { name?: string; mirror?: string } = {}): Promise<BuiltTemplate> {
  const name = opts.name ?? 'debian-12';
  const work = await mkdtemp(path.join(tmpdir(), 'vz-deb-'));
  const root = path.join(work, 'rootfs');
  try {
    await run('debootstrap', debootstrapArgv({ suite: 'bookworm', target: root, mirror: opts.mirror ?? (await hostMirror()) }), { timeoutMs: 15 * 60_000 });
    // Container-friendly touches: no getty on ttys, an empty resolv.conf and hostname to be filled by create.
    await writeFile(path.join(root, 'etc/hostname'), 'localhost\n');
    await writeFile(path.join(root, 'etc/resolv.conf'), '');
    // An unprivileged VE cannot mount debugfs; masking it keeps `systemctl is-system-running` at "running".
    await symlink('/dev/null', path.join(root, 'etc/systemd/system/sys-kernel-debug.mount')).catch(() => undefined);
    await run('chroot', [root, 'apt-get', 'clean']);
    await mkdir(outDir, { recursive: true });
    const tarball = path.join(outDir, `${name}.tar.gz`);
    await run('tar', ['--numeric-owner', '--xattrs', '--xattrs-include=*', '-czf', tarball, '-C', root, '.']);
    const manifest = templateManifest.parse({
      name, os: 'debian', version: '12', arch: hostArch(),
      sizeBytes: (await stat(tarball)).size, sha256: await sha256File(tarball), init: '/sbin/init', createdAt: new Date().toISOString(),
    });
    const manifestPath = path.join(outDir, `${name}.json`);
    await writeFile(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
    return { tarball, manifestPath, manifest };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
