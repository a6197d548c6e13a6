// Disk throughput caps (OpenVZ --iolimit / --iopslimit) on the VE's loop device, via the blkio/io cgroup.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ioThrottleSettings } from '../config/cgroup-map';
import type { VeLimits } from '../config/schema';
import { loopsOf, mountPointSource } from '../storage/image';
import type { VePaths } from '../sys/paths';
import { VeError } from '../sys/errors';
import { hostFacts } from './host-facts';
import { lxcCgroupSet } from './lxc-cli';

/**
 * "MAJ:MIN" of the loop device backing `image`, or undefined when it is not attached. A mounted
 * `root` names its device (two stats and a sysfs link, then one sysfs read); only otherwise is
 * `losetup -j` asked, which reads every loop device on the node.
 */
export async function loopDevNumber(image: string, root?: string): Promise<string | undefined> {
  const src = root ? await mountPointSource(root) : undefined;
  const dev = src && /^\/dev\/loop\d+$/.test(src) ? src : (await loopsOf(image))[0];
  if (!dev) return undefined;
  const mm = (await readFile(path.join('/sys/block', path.basename(dev), 'dev'), 'utf8')).trim();
  return /^\d+:\d+$/.test(mm) ? mm : undefined;
}

/**
 * Write the VE's throttle rules for its loop device (0 = no cap, which removes the rule).
 * Only I/O the VE's tasks submit themselves is counted: on cgroup v1 buffered writes are
 * flushed by kernel threads and escape the cap (direct I/O, reads and fsync-less
 * page-cache misses are capped); cgroup v2 charges writeback to the VE as well.
 * Returns the cgroup files written.
 */
export async function applyIoThrottle(ctid: number, p: Pick<VePaths, 'lxcpath' | 'image' | 'root'>, l: Pick<VeLimits, 'iolimit' | 'iopslimit'>): Promise<string[]> {
  const dev = await loopDevNumber(p.image, p.root);
  if (!dev) throw new VeError('INTERNAL', `VE ${ctid}: no loop device for ${p.image}; cannot apply iolimit/iopslimit`);
  const files: string[] = [];
  for (const [k, v] of ioThrottleSettings(l, dev, hostFacts().version)) {
    await lxcCgroupSet(ctid, p.lxcpath, k, v);
    files.push(k);
  }
  return files;
}

/** Why ioprio cannot be enforced here, or undefined when the kernel has an I/O weight knob. */
export function ioprioUnsupportedReason(): string | undefined {
  const f = hostFacts();
  if (f.ioWeight) return undefined;
  return f.version === 'v1'
    ? 'saved, not enforced: this kernel has neither blkio.weight (CFQ) nor blkio.bfq.weight (BFQ)'
    : 'saved, not enforced: this kernel has no io.weight';
}
