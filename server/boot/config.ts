import path from 'node:path';
import { tlsFromEnv, type TlsFiles } from '@/server/http/tls';

/** Process configuration, all from the environment (documented in README). */
export interface PanelConfig {
  port: number;
  /** With TLS: the HTTPS port (`port` then only redirects to it). */
  httpsPort: number;
  /** Certificate and key (VZPANEL_TLS_CERT/KEY), or make one (VZPANEL_TLS=self-signed); unset = plain HTTP. */
  tls?: TlsFiles | 'self-signed';
  host: string;
  /** External Postgres; unset = embedded cluster in <dataDir>/pgdata. */
  databaseUrl?: string;
  dataDir: string;
  dev: boolean;
  adminEmail?: string;
  adminPassword?: string;
  /** vzroot of the local node's agent. */
  vzroot: string;
  /** Register and start the local node (VZPANEL_LOCAL_NODE=0 turns it off). */
  localNode: boolean;
  /** Leave a local agent this process started running after exit (VZPANEL_KEEP_AGENT=1). */
  keepAgent: boolean;
  /** Serve Next.js pages (VZPANEL_NO_NEXT=1: API only). */
  next: boolean;
  workerConcurrency: number;
  /** What this process runs (VZPANEL_ROLE, README: Several panel processes): web, worker, or both. */
  role: PanelRole;
  /** How often a worker frees jobs of panel processes that died (VZPANEL_SWEEP_MS). */
  sweepMs: number;
}

export const PANEL_ROLES = ['all', 'web', 'worker'] as const;
export type PanelRole = (typeof PANEL_ROLES)[number];

function readRole(v: string | undefined): PanelRole {
  const role = v || 'all';
  if (!(PANEL_ROLES as readonly string[]).includes(role)) throw new Error(`VZPANEL_ROLE must be one of ${PANEL_ROLES.join(', ')}, got ${v}`);
  return role as PanelRole;
}

function readSweep(v: string | undefined): number {
  const ms = Number(v || 10_000);
  if (!Number.isInteger(ms) || ms < 100) throw new Error(`VZPANEL_SWEEP_MS must be a whole number of milliseconds from 100 up, got ${v}`);
  return ms;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): PanelConfig {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a TCP port number, got ${env.PORT}`);
  const httpsPort = Number(env.HTTPS_PORT ?? 3443);
  if (!Number.isInteger(httpsPort) || httpsPort < 0 || httpsPort > 65535) throw new Error(`HTTPS_PORT must be a TCP port number, got ${env.HTTPS_PORT}`);
  return {
    port,
    httpsPort,
    tls: tlsFromEnv(env),
    host: env.HOST ?? '0.0.0.0',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.VZPANEL_DATA_DIR ?? '/var/lib/vzpanel'),
    dev: env.VZPANEL_DEV === '1',
    adminEmail: env.VZPANEL_ADMIN_EMAIL || undefined,
    adminPassword: env.VZPANEL_ADMIN_PASSWORD || undefined,
    vzroot: env.VZ_ROOT ?? '/var/lib/vz',
    localNode: env.VZPANEL_LOCAL_NODE !== '0',
    keepAgent: env.VZPANEL_KEEP_AGENT === '1',
    next: env.VZPANEL_NO_NEXT !== '1',
    workerConcurrency: Number(env.VZPANEL_WORKERS ?? 4),
    role: readRole(env.VZPANEL_ROLE),
    sweepMs: readSweep(env.VZPANEL_SWEEP_MS),
  };
}
