// Request input of the billing REST API: the query string of a GET/DELETE, or the JSON body of a
// POST/PUT/PATCH. Values are passed on as sent (no coercion: the procedures' schemas decide).
import type { IncomingMessage } from 'node:http';
import { TRPCError } from '@trpc/server';

/** Query parameters as strings; a repeated key (`ids=a&ids=b`) becomes an array. */
export function queryInput(url: URL): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const all = url.searchParams.getAll(key);
    out[key] = all.length === 1 ? all[0] : all;
  }
  return out;
}

const isJson = (type: string | undefined) => /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type ?? '');

async function readRaw(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > max) throw new TRPCError({ code: 'PAYLOAD_TOO_LARGE', message: `Request body over ${max} bytes` });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new TRPCError({ code: 'PAYLOAD_TOO_LARGE', message: `Request body over ${max} bytes` });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * The JSON object in the body. No body, an empty one (whatever its Content-Type says) or `{}` is
 * an empty input, so operations with nothing to send need no body; anything else must be a JSON
 * object sent as application/json (415 otherwise, 400 if it does not parse, 413 over `max`).
 */
export async function bodyInput(req: IncomingMessage, max: number): Promise<Record<string, unknown>> {
  const raw = await readRaw(req, max);
  const text = raw.toString('utf8');
  if (!text.trim()) return {};
  const type = req.headers['content-type'];
  if (!isJson(type)) {
    throw new TRPCError({ code: 'UNSUPPORTED_MEDIA_TYPE', message: type ? `Unsupported Content-Type "${type}": send application/json` : 'Missing Content-Type: send application/json' });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TRPCError({ code: 'PARSE_ERROR', message: 'The request body is not valid JSON' });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TRPCError({ code: 'BAD_REQUEST', message: 'The request body must be a JSON object' });
  return parsed as Record<string, unknown>;
}
