// Keep-alive HTTP requests for the load benchmarks (bench/api-load.ts, bench/api-mix.ts): one call,
// its status and (when asked) its JSON body; a transport failure resolves as status 0.
import http from 'node:http';

export interface Reply { status: number; body?: unknown }

/** `method path` under /api/v1 on 127.0.0.1:port, with the key as a bearer token when given. */
export function apiRequest(agent: http.Agent, port: number, method: string, p: string, opts: { key?: string; json?: unknown; read?: boolean } = {}): Promise<Reply> {
  const payload = opts.json === undefined ? undefined : JSON.stringify(opts.json);
  const headers: Record<string, string> = {};
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  if (payload !== undefined) headers['content-type'] = 'application/json';
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: `/api/v1${p}`, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      if (opts.read) res.on('data', (d: Buffer) => chunks.push(d));
      else res.resume();
      res.on('end', () => {
        let body: unknown;
        try {
          body = opts.read ? JSON.parse(Buffer.concat(chunks).toString() || 'null') : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', () => resolve({ status: 0 }));
    });
    req.on('error', () => resolve({ status: 0 }));
    req.end(payload);
  });
}
