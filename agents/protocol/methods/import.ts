import { z } from 'zod';
import { defineMethod } from '../define';
import { Ctid, Ip, IpCidr, TemplateName, VeInfo, VeLimits } from './ve';

/**
 * The way in from OpenVZ (issue 16): a CTID.conf and its simfs private area, on this node (copied
 * or mounted from the OpenVZ host), become a VE. `ve.import.plan` is the dry run: it reads and
 * maps, touches nothing, and lists every parameter it cannot carry and what blocks the import.
 */
const AbsPath = z.string().min(2).max(4096).regex(/^\/[^\0\n]*$/, 'an absolute path');

/** An OpenVZ host over SSH: its host key pinned, a key given per call (redacted from the journal, removed after the call). */
export const SshSourceParams = z.object({
  host: z.string().min(1).max(253).regex(/^[A-Za-z0-9.:-]+$/),
  port: z.number().int().min(1).max(65_535),
  user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/),
  hostKey: z.string().regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,2}$/),
  privateKey: z.string().min(1).max(16_384),
});

export const ImportSourceParams = z.object({
  ssh: SshSourceParams.optional().describe('read from this OpenVZ host instead of this node'),
  conf: AbsPath.describe('the OpenVZ CTID.conf (on this node or the ssh host)'),
  private: AbsPath.optional().describe('the private area (simfs tree) when it is not at the conf\'s VE_PRIVATE'),
  ctid: Ctid.optional().describe('import as this ctid (default: the conf\'s)'),
});

const Limits = VeLimits.partial();

export const ImportPlanResult = z.object({
  ctid: Ctid,
  hostname: z.string().optional(),
  ips: z.array(z.string()),
  nameservers: z.array(z.string()),
  searchdomain: z.string().optional(),
  onboot: z.boolean(),
  description: z.string().optional(),
  ostemplate: z.string(),
  layout: z.enum(['simfs', 'ploop']),
  privatePath: z.string(),
  usedBytes: z.number(),
  usedInodes: z.number(),
  limits: Limits.describe('translated limits, agent units (bytes, bytes/s, % of one core)'),
  carried: z.array(z.object({ param: z.string(), value: z.string(), to: z.string(), note: z.string().optional() })),
  notCarried: z.array(z.object({ param: z.string(), value: z.string(), reason: z.string() })),
  problems: z.array(z.string()).describe('what blocks the import as it stands; empty = ready'),
});

export const importMethods = {
  've.import.list': defineMethod({
    params: z.object({ ssh: SshSourceParams.optional(), confDir: AbsPath.default('/etc/vz/conf') }),
    result: z.object({ ves: z.array(ImportPlanResult) }), mutating: false,
    description: 'The OpenVZ VEs of a host (one CTID.conf each), each mapped as a dry run would (sizes not measured).',
  }),
  've.import.plan': defineMethod({
    params: ImportSourceParams, result: ImportPlanResult, mutating: false,
    description: 'Dry run of an OpenVZ import: every mapping, every parameter not carried, what blocks it.',
  }),
  've.import': defineMethod({
    params: ImportSourceParams.extend({
      ctid: Ctid.describe('import as this ctid (the conf\'s, unless taken)'),
      ips: z.array(IpCidr).max(64).optional().describe('addresses with prefixes (default: the conf\'s, prefixed from the node networks)'),
      gateway: Ip.optional(),
      gateway6: Ip.optional(),
      limits: Limits.optional().describe('replace translated limits'),
      ostemplate: TemplateName.optional().describe('template label (default openvz-<OSTEMPLATE>)'),
      start: z.boolean().optional(),
    }),
    result: z.object({ plan: ImportPlanResult, ve: VeInfo }), mutating: true,
    description: 'Import an OpenVZ VE (simfs) as a new VE with the same ctid, addresses and translated limits.',
  }),
};
