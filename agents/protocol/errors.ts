import { z } from 'zod';

/**
 * Agent error codes. Where OpenVZ's vzctl has an exit code for the same condition we keep it,
 * so `vzctl` can exit with the familiar number. Codes are strings on the wire.
 */
export const AGENT_ERROR_CODES = {
  VE_LOCKED: 9,
  VE_NOT_RUNNING: 31,
  VE_RUNNING: 32,
  VE_CANNOT_STOP: 33,
  VE_EXISTS: 44,
  NO_DISK_SPACE: 46,
  VE_NO_INIT: 47,
  IP_IN_USE: 78,
  TEMPLATE_NOT_FOUND: 91,
  /** vzctl: "private area does not exist". */
  VE_NOT_FOUND: 43,
  BAD_PARAMS: 2,
  NOT_FOUND: 11,
  UNSUPPORTED: 3,
  /** A journaled operation was cut short by an agent restart and its outcome could not be settled. */
  OP_INTERRUPTED: 12,
  /** The daemon is stopping and accepts no new work. */
  SHUTTING_DOWN: 13,
  INTERNAL: 1,
  // Backups (issue 12): no vzctl equivalent, so numbers of their own.
  REPO_UNREACHABLE: 160,
  REPO_HOST_KEY_MISMATCH: 161,
  REPO_AUTH_FAILED: 162,
  REPO_FULL: 163,
  REPO_WRONG_PASSWORD: 164,
  REPO_NOT_FOUND: 165,
  REPO_LOCKED: 166,
  SNAPSHOT_NOT_FOUND: 167,
  SNAPSHOT_LIMIT: 168,
  VERIFY_FAILED: 169,
} as const;

export type AgentErrorCode = keyof typeof AGENT_ERROR_CODES;
export const AgentErrorCodeSchema = z.enum(Object.keys(AGENT_ERROR_CODES) as [AgentErrorCode, ...AgentErrorCode[]]);

/** vzctl-style process exit code for an agent error code (unknown codes -> 1). */
export const exitCodeOf = (code: string): number =>
  (AGENT_ERROR_CODES as Record<string, number>)[code] ?? 1;

export const ErrorBodySchema = z.object({
  code: z.string(),
  message: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;
