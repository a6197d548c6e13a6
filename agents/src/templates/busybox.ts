// Builds the `busybox` OS template (init, syslogd, crond, httpd on :80) from the host's busybox-static.
import { chmod, copyFile, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';
import { hostArch, sha256File, templateManifest, type TemplateManifest } from './manifest';

const INITTAB = `::sysinit:/etc/init.d/rcS
::respawn:/sbin/syslogd -n
::respawn:/usr/sbin/crond -f -c /var/spool/cron/crontabs
::respawn:/usr/sbin/httpd -f -p 80 -h /www
::ctrlaltdel:/sbin/reboot
::shutdown:/bin/umount -a -r
`;

const RCS = `#!/bin/sh
# Runs once at boot, before the respawned daemons.
[ -s /etc/hostname ] && hostname -F /etc/hostname
mkdir -p /var/run /var/log /tmp /var/spool/cron/crontabs
for s in /etc/init.d/S*; do [ -x "$s" ] && "$s" start; done
exit 0
`;

// busybox `free` asks sysinfo(2), which LXCFS cannot virtualise; this one reads /proc/meminfo (LXCFS) like procps.
const FREE = `#!/bin/sh
div=1; case "$1" in -m) div=1024;; -g) div=1048576;; esac
exec awk -v d=$div '/^MemTotal:/{t=$2} /^MemFree:/{f=$2} /^MemAvailable:/{a=$2} /^Buffers:/{b=$2} /^Cached:/{c=$2} /^Shmem:/{s=$2} /^SwapTotal:/{st=$2} /^SwapFree:/{sf=$2}
END { printf "%15s %11s %11s %11s %11s %11s\\n", "total", "used", "free", "shared", "buff/cache", "available";
  printf "Mem: %10d %11d %11d %11d %11d %11d\\n", t/d, (t-f-b-c)/d, f/d, s/d, (b+c)/d, a/d;
  printf "Swap:%10d %11d %11d\\n", st/d, (st-sf)/d, sf/d }' /proc/meminfo
`;

const FILES: Record<string, { body: string; mode: number }> = {
  'usr/bin/free': { body: FREE, mode: 0o755 },
  'etc/inittab': { body: INITTAB, mode: 0o644 },
  'etc/init.d/rcS': { body: RCS, mode: 0o755 },
  'etc/passwd': { body: 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nwww-data:x:33:33:www-data:/www:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n', mode: 0o644 },
  'etc/group': { body: 'root:x:0:\ndaemon:x:1:\nwww-data:x:33:\nnogroup:x:65534:\n', mode: 0o644 },
  // Root is locked until create sets a password.
  'etc/shadow': { body: 'root:!:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nwww-data:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n', mode: 0o600 },
  'etc/hosts': { body: '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n', mode: 0o644 },
  'etc/resolv.conf': { body: '', mode: 0o644 },
  'etc/hostname': { body: 'localhost\n', mode: 0o644 },
  'etc/shells': { body: '/bin/sh\n/bin/ash\n', mode: 0o644 },
  // ash would run its in-process `free` applet (sysinfo(2)); the alias makes a login shell use the LXCFS one.
  'etc/profile': { body: 'export PATH=/bin:/sbin:/usr/bin:/usr/sbin\nexport PS1="\\h:\\w\\$ "\nalias free=/usr/bin/free\n', mode: 0o644 },
  'var/spool/cron/crontabs/root': { body: '', mode: 0o600 },
  'www/index.html': { body: '<html><body>vzpanel busybox VE</body></html>\n', mode: 0o644 },
};

export interface BuiltTemplate {
  tarball: string;
  manifestPath: string;
  manifest: TemplateManifest;
}

/** Write a tarball and its manifest (`<name>.tar.gz`, `<name>.json`) into outDir. */
export async function buildBusyboxTemplate(outDir: string, opts: { name?: string; busybox?: string } = {}): Promise<BuiltTemplate> {
  const name = opts.name ?? 'busybox';
  const bb = opts.busybox ?? '/bin/busybox';
  const st = await stat(bb).catch(() => null);
  if (!st) throw new VeError('NOT_FOUND', `busybox binary not found at ${bb} (apt-get install busybox-static)`);
  const version = (await run(bb, [])).stdout.match(/BusyBox v([0-9.]+)/)?.[1] ?? 'unknown';
  const work = await mkdtemp(path.join(tmpdir(), 'vz-tpl-'));
  const root = path.join(work, 'rootfs');
  try {
    await populate(root, bb, version);
    await mkdir(outDir, { recursive: true });
    const tarball = path.join(outDir, `${name}.tar.gz`);
    await run('tar', ['--numeric-owner', '--owner=0', '--group=0', '-czf', tarball, '-C', root, '.']);
    const manifest = templateManifest.parse({
      name, os: 'busybox', version, arch: hostArch(),
      sizeBytes: (await stat(tarball)).size, sha256: await sha256File(tarball),
      init: '/sbin/init', createdAt: new Date().toISOString(),
    });
    const manifestPath = path.join(outDir, `${name}.json`);
    await writeFile(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
    return { tarball, manifestPath, manifest };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function populate(root: string, bb: string, version: string): Promise<void> {
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc/init.d', 'proc', 'sys', 'dev', 'run', 'mnt', 'home', 'var/log', 'var/run', 'var/spool/cron/crontabs', 'www']) {
    await mkdir(path.join(root, d), { recursive: true });
  }
  await mkdir(path.join(root, 'root'), { mode: 0o700 });
  await mkdir(path.join(root, 'tmp'));
  await chmod(path.join(root, 'tmp'), 0o1777);
  await copyFile(bb, path.join(root, 'bin/busybox'));
  await chmod(path.join(root, 'bin/busybox'), 0o755);
  const applets = (await run(bb, ['--list-full'])).stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  for (const rel of applets) {
    if (rel === 'bin/busybox' || rel === 'usr/bin/free' || rel.includes('..')) continue;
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await symlink('/bin/busybox', path.join(root, rel)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
  for (const [rel, f] of Object.entries(FILES)) {
    await writeFile(path.join(root, rel), f.body, { mode: f.mode });
    await chmod(path.join(root, rel), f.mode);
  }
  await writeFile(path.join(root, 'etc/os-release'), `ID=busybox\nNAME=BusyBox\nVERSION_ID=${version}\nPRETTY_NAME="BusyBox ${version}"\n`);
}
