import pino from 'pino';

/**
 * The process-wide JSON logger. Secrets are stripped here, at one named boundary: any field
 * called password/token/secret/authorization/cookie (at any of the first levels of nesting,
 * and in request headers) is replaced by "[redacted]" before a line is written.
 */
const SECRET_KEYS = ['password', 'newPassword', 'passwordHash', 'token', 'ticket', 'secret', 'totpSecret', 'totpCode', 'backupCode', 'authorization', 'cookie', 'set-cookie', 'apiKey'];

const redactPaths = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export const logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' || process.env.VITEST ? 'silent' : 'info'),
  base: { service: 'vzpanel' },
  redact: { paths: redactPaths, censor: '[redacted]' },
});

export type Logger = typeof logger;
