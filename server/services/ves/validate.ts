// Validation of what a create sends to a node: hostname, root password, SSH keys, ids.
import { z } from 'zod';
import { LimitOverrides } from '@/server/services/plans/limits';
import { parseIp } from '@/server/services/ippools/ip';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** RFC 1123 host name (lower-cased): dot-separated labels of letters, digits and inner dashes, 253 max. */
export const Hostname = z
  .string()
  .max(253, 'at most 253 characters')
  .transform((s) => s.toLowerCase())
  .refine((s) => s.length > 0 && s.split('.').every((l) => LABEL.test(l)), 'not a valid host name (RFC 1123: letters, digits, inner dashes; labels of 1-63)')
  .refine((s) => parseIp(s) === null, 'a host name, not an IP address');

/** Root password: 8..128 characters without control characters (it is hashed before it leaves the panel). */
export const RootPassword = z
  .string()
  .min(8, 'at least 8 characters')
  .max(128, 'at most 128 characters')
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'no control characters (newline, NUL, tab…)');

const KEY_TYPES = new Set([
  'ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com',
]);

/** True when `line` is one OpenSSH public key whose base64 blob really starts with its type name. */
export function isSshPublicKey(line: string): boolean {
  // eslint-disable-next-line no-control-regex
  const m = /^([a-z0-9@.-]+) ([A-Za-z0-9+/]+={0,3})( [^\u0000-\u001f\u007f]{1,200})?$/.exec(line);
  if (!m || !KEY_TYPES.has(m[1])) return false;
  const blob = Buffer.from(m[2], 'base64');
  if (blob.length < 4) return false;
  const n = blob.readUInt32BE(0);
  return n === m[1].length && blob.subarray(4, 4 + n).toString('latin1') === m[1];
}

export const SshKey = z.string().trim().max(16_384).refine(isSshPublicKey, 'not an OpenSSH public key ("ssh-ed25519 AAAA… comment", one line)');

export const CreateVeInput = z
  .object({
    hostname: Hostname,
    planId: z.string().min(1).max(64),
    /** Template by id or by name. */
    templateId: z.string().min(1).max(64).optional(),
    template: z.string().min(1).max(128).optional(),
    ownerId: z.string().min(1).max(64).nullish(),
    /** Explicit node; otherwise placement picks one (from `nodeGroupId` if given). */
    nodeId: z.string().min(1).max(64).optional(),
    nodeGroupId: z.string().min(1).max(64).optional(),
    /** Explicit CTID; otherwise the next free one from 101. */
    ctid: z.number().int().min(101).max(2_147_483_647).optional(),
    password: RootPassword.optional(),
    sshKeys: z.array(SshKey).max(20).default([]),
    overrides: LimitOverrides.default({}),
    /** Address counts; default from the plan. */
    ipv4Count: z.number().int().min(0).max(256).optional(),
    ipv6Count: z.number().int().min(0).max(256).optional(),
    externalId: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((v) => v.templateId || v.template, { message: 'give templateId or template', path: ['templateId'] })
  .refine((v) => v.password || v.sshKeys.length, { message: 'give a root password or at least one SSH key', path: ['password'] });

export type CreateVeInput = z.input<typeof CreateVeInput>;
