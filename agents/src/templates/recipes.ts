// Debian template recipes as data: a new Debian release is one more entry in DEBIAN_RECIPES.
import { VeError } from '../sys/errors';

export interface DebianRecipe {
  /** Template (cache) name, e.g. debian-12. */
  name: string;
  /** Major release, the manifest's version. */
  version: string;
  /** Release codename, as the mirror names it under dists/. */
  suite: string;
  /** Packages on top of debootstrap's minbase. */
  include: readonly string[];
  /** minbase packages left out. */
  exclude: readonly string[];
  /**
   * Layer <suite>-updates and <suite>-security over the base suite and upgrade once
   * (vzpkg's "update cache": a rebuild brings the latest packages).
   */
  updates: boolean;
  /** systemd units masked in the image: what an unprivileged VE cannot run and would leave the system degraded. */
  mask: readonly string[];
}

/**
 * minbase has no init: systemd-sysv gives the VE its PID 1 and sshd its unit. No ifupdown or
 * networkd: the agent configures eth0 from the host (lxc.net addresses, `ip` in the VE's netns),
 * so nothing inside may manage it; iproute2 only lets the VE's root look at it.
 */
const SERVER = ['systemd-sysv', 'openssh-server', 'iproute2'] as const;
/** No debugfs mount and no kernel modules in a VE (trixie's modules-load fails there). */
const VE_MASK = ['sys-kernel-debug.mount', 'systemd-modules-load.service'] as const;

export const DEBIAN_RECIPES: readonly DebianRecipe[] = [
  // systemd 247 lacks the audit capability check later releases have: its audit socket fails in a VE.
  { name: 'debian-11', version: '11', suite: 'bullseye', include: SERVER, exclude: [], updates: true, mask: [...VE_MASK, 'systemd-journald-audit.socket'] },
  { name: 'debian-12', version: '12', suite: 'bookworm', include: SERVER, exclude: [], updates: true, mask: VE_MASK },
  { name: 'debian-13', version: '13', suite: 'trixie', include: SERVER, exclude: [], updates: true, mask: VE_MASK },
];

export function findRecipe(name: string): DebianRecipe {
  const r = DEBIAN_RECIPES.find((x) => x.name === name);
  if (!r) throw new VeError('NOT_FOUND', `no build recipe for template ${JSON.stringify(name)} (known: ${DEBIAN_RECIPES.map((x) => x.name).join(', ')})`);
  return r;
}

/** The security archive beside a Debian mirror (…/debian -> …/debian-security). */
export const securityMirror = (mirror: string) => mirror.replace(/\/debian\/?$/, '/debian-security');

/** The VE's apt sources: the base suite plus, when the recipe layers them, -updates and -security. */
export function aptSources(r: DebianRecipe, mirror: string): string {
  const lines = [`deb ${mirror} ${r.suite} main`];
  if (r.updates) lines.push(`deb ${mirror} ${r.suite}-updates main`, `deb ${securityMirror(mirror)} ${r.suite}-security main`);
  return lines.join('\n') + '\n';
}

export interface SuiteStatus {
  served: boolean;
  /** Why not, when not served (HTTP status or network error). */
  reason?: string;
}

/** Whether the mirror serves the suite: its dists/<suite>/Release answers 200. */
export async function probeSuite(mirror: string, suite: string, timeoutMs = 15_000): Promise<SuiteStatus> {
  const url = `${mirror.replace(/\/$/, '')}/dists/${suite}/Release`;
  try {
    const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? { served: true } : { served: false, reason: `${url}: HTTP ${res.status}` };
  } catch (e) {
    return { served: false, reason: `${url}: ${(e as Error).message}` };
  }
}

/** Refuse a recipe whose suite the mirror does not serve, before any debootstrap work. */
export async function assertSuiteServed(mirror: string, r: DebianRecipe): Promise<void> {
  const s = await probeSuite(mirror, r.suite);
  if (!s.served) throw new VeError('UNSUPPORTED', `cannot build ${r.name}: the mirror does not serve ${r.suite} (${s.reason})`);
}

export interface RecipeInfo {
  name: string;
  os: string;
  version: string;
  suite: string;
  packages: string[];
  available: boolean;
  reason?: string;
}

/** Every Debian recipe with whether this node's mirror serves its suite now (probed in parallel). */
export async function listRecipes(mirror: string | undefined, noMirrorReason = 'no Debian mirror in apt sources'): Promise<RecipeInfo[]> {
  return Promise.all(DEBIAN_RECIPES.map(async (r) => {
    const s = mirror ? await probeSuite(mirror, r.suite) : { served: false, reason: noMirrorReason };
    return { name: r.name, os: 'debian', version: r.version, suite: r.suite, packages: [...r.include], available: s.served, ...(s.reason ? { reason: s.reason } : {}) };
  }));
}
