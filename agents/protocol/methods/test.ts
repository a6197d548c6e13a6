import { z } from 'zod';
import { defineMethod } from '../define';

/**
 * Methods that exist only so tests can exercise locks and the journal. The daemon registers
 * their handlers only when VZ_AGENT_TEST_HANDLERS=1.
 */
export const testMethods = {
  'test.append': defineMethod({
    params: z.object({
      ctid: z.number().int().min(1),
      file: z.string().startsWith('/'),
      line: z.string().max(1000),
      delayMs: z.number().int().min(0).max(600_000).default(0),
      /** Never used: lets tests prove secret fields are redacted in logs and the journal. */
      rootPassword: z.string().optional(),
    }),
    result: z.object({ lines: z.number().int() }),
    mutating: true,
    description: 'Test only: wait delayMs, then append a line to a file.',
  }),
  'test.sleep': defineMethod({
    params: z.object({ ctid: z.number().int().min(1), ms: z.number().int().min(0).max(600_000) }),
    result: z.object({ slept: z.number() }),
    mutating: true,
    description: 'Test only: hold the VE lock for ms (no recover()).',
  }),
  'test.memory': defineMethod({
    params: z.object({
      /** Run a full garbage collection first, so heapUsed counts only what is still referenced. */
      gc: z.boolean().default(true),
      /** Write a V8 heap snapshot to this absolute path (.heapsnapshot) after the collection. */
      snapshot: z.string().startsWith('/').endsWith('.heapsnapshot').optional(),
    }),
    result: z.object({
      rss: z.number(), heapUsed: z.number(), heapTotal: z.number(), external: z.number(), arrayBuffers: z.number(),
      gc: z.boolean(),
      /** Open file descriptors of the daemon (the usage sampler holds some per running VE). */
      fds: z.number().int(),
      snapshot: z.string().optional(),
    }),
    mutating: false,
    description: 'Test/benchmark only: the daemon\'s memory after an optional forced GC, and optionally a heap snapshot.',
  }),
};
