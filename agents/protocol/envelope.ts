import { z } from 'zod';
import { ErrorBodySchema } from './errors';

/** Request id chosen by the caller; unique per connection while the call is pending. */
export const RequestIdSchema = z.union([z.string().min(1).max(128), z.number().int()]);
export type RequestId = z.infer<typeof RequestIdSchema>;

/** Operation id (the panel's task id): also a journal file name, so a strict charset. */
export const OpIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, 'opId: 1-128 chars of [A-Za-z0-9_.:-]');

export const RequestSchema = z.object({
  id: RequestIdSchema,
  method: z.string().min(1).max(128),
  params: z.unknown().optional(),
  opId: OpIdSchema.optional(),
});
export type Request = z.infer<typeof RequestSchema>;

export const SuccessResponseSchema = z.object({ id: RequestIdSchema.nullable(), result: z.unknown() });
export const ErrorResponseSchema = z.object({ id: RequestIdSchema.nullable(), error: ErrorBodySchema });
export type SuccessResponse = { id: RequestId | null; result: unknown };
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;
export type Response = SuccessResponse | ErrorResponse;

/** Every notification names the call it belongs to (requestId on that connection) and its opId, if any. */
const NotifyBase = { requestId: RequestIdSchema.optional(), opId: OpIdSchema.optional() };
export const ProgressParamsSchema = z.object({ ...NotifyBase, pct: z.number().min(0).max(100), message: z.string().optional() });
export const LogParamsSchema = z.object({ ...NotifyBase, line: z.string(), stream: z.enum(['info', 'stdout', 'stderr']).optional() });
export const EventParamsSchema = z.object({ ...NotifyBase, type: z.string(), data: z.record(z.string(), z.unknown()).optional() });

export const NotificationSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('progress'), params: ProgressParamsSchema }),
  z.object({ method: z.literal('log'), params: LogParamsSchema }),
  z.object({ method: z.literal('event'), params: EventParamsSchema }),
]);
export type Notification = z.infer<typeof NotificationSchema>;

/** Longest JSON line either side accepts (protects both ends from unbounded buffering). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** What kind of message a parsed JSON line is (requests carry `id` + `method`, responses `id` without `method`). */
export function classifyMessage(msg: unknown): 'request' | 'response' | 'notification' | 'invalid' {
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return 'invalid';
  const m = msg as Record<string, unknown>;
  if (typeof m.method === 'string') return 'id' in m ? 'request' : 'notification';
  if ('id' in m && ('result' in m || 'error' in m)) return 'response';
  return 'invalid';
}
