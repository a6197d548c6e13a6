// The bootstrap's last step: the panel key, as the agent account, reaches the agent and nothing else talks first.
import type { ClientChannel } from 'ssh2';
import { AppError, isAppError } from '@/server/errors';
import { quoteOutput } from './shell-probe';
import { SshTransport } from './transport';

export interface AgentLoginTarget {
  host: string;
  port: number;
  hostKeyFingerprint: string;
  username: string;
  panelKey: { privateKey: string };
}

type Attempt = { hello: Record<string, unknown>; ms: number } | { retry: string };

// One exec channel: send hello, and the first line back must be its answer.
function helloOnce(ch: ClientChannel, who: string, budgetMs: number): Promise<Attempt> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const done = (fn: () => void) => { clearTimeout(timer); ch.removeAllListeners('data'); ch.close(); fn(); };
    const timer = setTimeout(() => done(() => reject(new AppError('UNPROCESSABLE',
      `the agent did not answer within ${Math.round(budgetMs / 1000)} s through the restricted key: the login shell of ${who} stalls before the agent starts, or the agent is down${err.trim() ? ` (${quoteOutput(err)})` : ''}`,
      { step: 'verify', reason: 'AGENT_SILENT' }))), budgetMs);
    ch.stderr.on('data', (b: Buffer) => { err = (err + b.toString('utf8')).slice(-2000); });
    ch.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      const line = out.slice(0, nl);
      let msg: { id?: number; result?: Record<string, unknown> } | undefined;
      try { msg = JSON.parse(line) as typeof msg; } catch { /* not the agent */ }
      if (msg?.id === 1 && msg.result) return done(() => resolve({ hello: msg.result!, ms: Date.now() - t0 }));
      done(() => reject(new AppError('UNPROCESSABLE',
        `the login of ${who} printed '${quoteOutput(line)}' before the agent started; the agent account's shell must print nothing`,
        { step: 'verify', reason: 'SHELL_PRINTS' })));
    });
    // the bridge reports a daemon that is not listening yet on stderr and exits: try again
    ch.on('close', () => done(() => resolve({ retry: err.trim().split('\n').at(-1) || 'channel closed' })));
    ch.write(`${JSON.stringify({ id: 1, method: 'hello', params: {} })}\n`);
  });
}

/**
 * Logs in as `t.username` with only the panel key (host key pinned), sends `hello` and times
 * the answer. Retries while the daemon is still starting; refuses with the cause when anything
 * else prints first (a banner would corrupt console and migration streams) or when nothing
 * answers within `timeoutMs`.
 */
export async function verifyAgentLogin(t: AgentLoginTarget, timeoutMs: number): Promise<{ hello: Record<string, unknown>; ms: number }> {
  const who = `${t.username}@${t.host}`;
  const transport = new SshTransport({ name: 'new node', host: t.host, port: t.port, username: t.username, hostKeyFingerprint: t.hostKeyFingerprint, privateKey: t.panelKey.privateKey });
  const deadline = Date.now() + timeoutMs;
  let last = '';
  try {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new AppError('UNPROCESSABLE', `the agent did not answer hello through the restricted key within ${Math.round(timeoutMs / 1000)} s: ${last}`, { step: 'verify' });
      try {
        const r = await helloOnce(await transport.exec('vzagent rpc'), who, left);
        if ('hello' in r) return r;
        last = r.retry;
      } catch (e) {
        if (isAppError(e) && (e.code === 'FORBIDDEN' || e.code === 'UNPROCESSABLE')) throw e;
        last = (e as Error).message;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    await transport.close();
  }
}
