import pino, { type Logger } from 'pino';

/** JSON logs to stderr (journald/systemd picks them up); params are redacted by callers. */
export function createLogger(name: string): Logger {
  return pino(
    {
      name,
      level: process.env.VZ_LOG_LEVEL ?? 'info',
      // belt and braces: top-level and one-level-deep secret fields are censored by pino too
      redact: { paths: ['password', 'secret', 'token', 'key', '*.password', '*.secret', '*.token', '*.key'], censor: '[redacted]' },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
