import { z } from 'zod';
import { defineMethod } from '../define';

/**
 * VE runtime methods (issue 3). Wire-level validation only; the agent re-validates every value
 * that reaches a config file (agents/src/config). Byte sizes are bytes; cpulimit is % of one core.
 */
export const Ctid = z.number().int().min(100).max(2_147_483_647).describe('container id (OpenVZ CTID)');
export const Hostname = z.string().max(253)
  .regex(/^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/, 'RFC 1123 host name');
export const IpCidr = z.string().max(64).regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'IP address, optionally /prefix');
export const Ip = z.string().max(45).regex(/^[0-9a-fA-F:.]+$/, 'IP address');
export const TemplateName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/);
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const SafeText = z.string().max(1024).regex(/^[^\x00-\x1f\x7f"\\$`]*$/, 'no control characters, quotes, backslashes, $ or backticks');

export const VeLimits = z.object({
  ram: z.number().int().min(16 * 2 ** 20).max(2 ** 50).describe('bytes'),
  swap: z.number().int().min(0).max(2 ** 50).describe('bytes on top of ram'),
  cpuunits: z.number().int().min(8).max(500_000),
  cpulimit: z.number().int().min(0).max(100_000).describe('% of one core, 0 = none'),
  cpus: z.number().int().min(0).max(4096).describe('0 = all'),
  numproc: z.number().int().min(0).max(4_194_304).describe('0 = unlimited'),
  diskspace: z.number().int().min(32 * 2 ** 20).max(2 ** 50).describe('bytes'),
  diskinodes: z.number().int().min(1024).max(2 ** 32 - 1),
  ioprio: z.number().int().min(0).max(7),
  iolimit: z.number().int().min(0).max(2 ** 40).optional().describe('disk bytes/s (read and write each), 0 = none'),
  iopslimit: z.number().int().min(0).max(10_000_000).optional().describe('disk ops/s (read and write each), 0 = none'),
  bandwidth: z.number().int().min(0).max(100_000_000_000).optional().describe('network bits/s (to and from the VE each, tc on the host veth), 0 = none'),
});

export const VeStatusEnum = z.enum(['running', 'stopped', 'suspended', 'starting', 'stopping', 'unknown']);

export const VeStatusResult = z.object({
  ctid: Ctid, exists: z.boolean(), status: VeStatusEnum, mounted: z.boolean(), pid: z.number().int().optional(),
});

export const VeInfo = z.object({
  ctid: Ctid,
  hostname: z.string(),
  ips: z.array(z.string()),
  status: VeStatusEnum,
  ostemplate: z.string(),
  onboot: z.boolean(),
  description: z.string().optional(),
  /** DNS servers from the conf (absent from agents before drift detection). */
  nameservers: z.array(z.string()).optional(),
  /** Quota throttle in bits/s (ve.throttle), 0 = none; absent from agents before traffic shaping. */
  throttle: z.number().int().optional(),
  ...VeLimits.shape,
});

export const VeCreateParams = z.object({
  ctid: Ctid,
  ostemplate: TemplateName,
  hostname: Hostname.optional(),
  ips: z.array(IpCidr).max(64).optional(),
  gateway: Ip.optional(),
  gateway6: Ip.optional(),
  nameservers: z.array(Ip).max(3).optional(),
  searchdomain: Hostname.optional(),
  mac: z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/).optional(),
  onboot: z.boolean().optional(),
  description: SafeText.optional(),
  password: z.string().min(1).max(256).optional().describe('root password: redacted from logs and journal'),
  passwordHash: z.string().regex(/^\$(6|5|y)\$[./A-Za-z0-9$]{8,200}$/, 'crypt(3) hash ($6$, $5$ or $y$)').optional().describe('root password as a crypt hash: the panel never sends the clear text'),
  sshKeys: z.array(z.string().max(16_384)).max(32).optional(),
  /** Start the VE right after creating it. */
  start: z.boolean().optional(),
  ...VeLimits.partial().shape,
});

export const VeSetParams = z.object({
  ctid: Ctid,
  hostname: Hostname.optional(),
  nameservers: z.array(Ip).max(3).optional(),
  searchdomain: Hostname.optional(),
  ips: z.array(IpCidr).max(64).optional(),
  ipadd: z.array(IpCidr).max(64).optional(),
  ipdel: z.array(z.string().max(64)).max(64).optional(),
  gateway: Ip.optional(),
  userpasswd: z.object({ user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/).optional(), password: z.string().min(1).max(256) }).optional(),
  passwordHash: z.string().regex(/^\$(6|5|y)\$[./A-Za-z0-9$]{8,200}$/, 'crypt(3) hash ($6$, $5$ or $y$)').optional().describe('new root password as a crypt hash'),
  onboot: z.boolean().optional(),
  description: SafeText.optional(),
  save: z.boolean().optional().describe('persist in the conf (default true); false = live only'),
  ...VeLimits.partial().shape,
});

export const VeSetResult = z.object({
  ctid: Ctid, running: z.boolean(), saved: z.boolean(),
  applied: z.array(z.string()).describe('changed live'), pending: z.array(z.string()).describe('takes effect at next start'),
  notApplied: z.array(z.object({ key: z.string(), reason: z.string() })).optional().describe('saved but this host cannot enforce it (e.g. ioprio without an I/O weight knob)'),
});

export const VeExecParams = z.object({
  ctid: Ctid,
  command: z.array(z.string().max(65_536)).min(1).max(4096).optional(),
  script: z.string().max(4 * 2 ** 20).optional().describe('sent to /bin/sh on stdin'),
  stdin: z.string().max(16 * 2 ** 20).optional(),
  timeoutSec: z.number().int().min(1).max(86_400).optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(65_536)).optional(),
}).refine((p) => !!p.command !== (p.script !== undefined), 'give exactly one of command or script');

export const VeExecResult = z.object({ exitCode: z.number().int(), stdout: z.string(), stderr: z.string(), timedOut: z.boolean() });

export const UbcRow = z.object({
  resource: z.string(), held: z.number(), maxheld: z.number().nullable(), barrier: z.number().nullable(), limit: z.number().nullable(), failcnt: z.number().nullable(),
});

export const TemplateManifestSchema = z.object({
  name: TemplateName, os: z.string(), version: z.string(), arch: z.string(),
  sizeBytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/), init: z.string().optional(), createdAt: z.string().optional(),
});

const CtidOnly = z.object({ ctid: Ctid });

export const veMethods = {
  've.create': defineMethod({ params: VeCreateParams, result: VeInfo, mutating: true, description: 'Create a VE from a cached template (vzctl create); unwinds on failure.' }),
  've.start': defineMethod({ params: CtidOnly, result: VeStatusResult, mutating: true, description: 'Start a VE (vzctl start).' }),
  've.stop': defineMethod({
    params: z.object({ ctid: Ctid, timeoutSec: z.number().int().min(0).max(3600).optional(), fast: z.boolean().optional() }),
    result: VeStatusResult.extend({ how: z.enum(['clean', 'killed']) }), mutating: true,
    description: 'Stop: clean shutdown with a timeout (default 30 s), then kill; --fast kills at once.',
  }),
  've.restart': defineMethod({ params: z.object({ ctid: Ctid, timeoutSec: z.number().int().min(0).max(3600).optional() }), result: VeStatusResult, mutating: true }),
  've.suspend': defineMethod({ params: CtidOnly, result: VeStatusResult, mutating: true, description: 'Freeze every process of the VE.' }),
  've.resume': defineMethod({ params: CtidOnly, result: VeStatusResult, mutating: true }),
  've.status': defineMethod({ params: CtidOnly, result: VeStatusResult, mutating: false }),
  've.list': defineMethod({
    // since/epoch/gen/full/removed: the change feed (feature 've-list-delta'); an agent without it ignores since and answers the full list.
    params: z.object({ since: z.object({ epoch: z.string().max(64), gen: z.number().int().min(0) }).optional().describe('cursor of a previous answer: only what changed since') }).default({}),
    result: z.object({
      ves: z.array(VeInfo),
      epoch: z.string().optional().describe('this agent process; a cursor of another epoch gets the full list'),
      gen: z.number().int().optional().describe('cursor to send as since.gen next time'),
      full: z.boolean().optional().describe('true: ves is every VE; false: only the VEs changed since the cursor'),
      removed: z.array(Ctid).optional().describe('ctids gone since the cursor (delta answers)'),
    }),
    mutating: false, description: 'All VEs of this node (vzlist -a), or with since only those changed since that cursor.',
  }),
  've.destroy': defineMethod({ params: CtidOnly, result: z.object({ ctid: Ctid, destroyed: z.literal(true) }), mutating: true, description: 'Remove a stopped VE and everything it owns.' }),
  've.mount': defineMethod({ params: CtidOnly, result: VeStatusResult, mutating: true, description: 'Mount a stopped VE\'s filesystem at <vzroot>/root/<ctid>.' }),
  've.umount': defineMethod({ params: CtidOnly, result: VeStatusResult, mutating: true }),
  've.exec': defineMethod({ params: VeExecParams, result: VeExecResult, mutating: true, description: 'Run a command or a script inside a running VE (vzctl exec2).' }),
  've.reinstall': defineMethod({
    params: z.object({ ctid: Ctid, ostemplate: TemplateName.optional(), password: z.string().min(1).max(256).optional(), passwordHash: z.string().regex(/^\$(6|5|y)\$[./A-Za-z0-9$]{8,200}$/).optional() }),
    result: VeInfo, mutating: true,
    description: 'New root filesystem from a template for a stopped VE; same ctid, addresses, limits and (unless given) root password.',
  }),
  've.set': defineMethod({ params: VeSetParams, result: VeSetResult, mutating: true, description: 'Change limits, identity or addresses; live when running (vzctl set --save).' }),
  've.ubc': defineMethod({ params: CtidOnly, result: z.object({ ctid: Ctid, running: z.boolean(), rows: z.array(UbcRow) }), mutating: false, description: 'vzubc-style beancounters from cgroup counters.' }),
  'template.list': defineMethod({ params: z.object({}).default({}), result: z.object({ templates: z.array(TemplateManifestSchema) }), mutating: false }),
  'template.import': defineMethod({
    params: z.object({ path: z.string().min(1).max(4096).regex(/^\/[^\n\0]*$/), manifest: TemplateManifestSchema }),
    result: TemplateManifestSchema, mutating: true, description: 'Verify a tarball already on the node against its manifest and cache it.',
  }),
  'template.build': defineMethod({
    params: z.object({ name: TemplateName }), result: TemplateManifestSchema, mutating: true,
    description: 'Build an OS template on the node (busybox: seconds; a Debian recipe of template.recipes: debootstrap, minutes) and cache it.',
  }),
};
