import net from 'node:net';

/**
 * `vzagent rpc`: the forced SSH command (and the local transport's child). Pipes stdin to the
 * daemon's unix socket and the socket to stdout. Exits when the daemon closes, when stdout
 * breaks, or once stdin has ended and the daemon has answered what was in flight (it closes
 * then). A dropped SSH session never leaves a bridge behind; operations keep running in the daemon.
 */
export function runRpcBridge(socket: string): Promise<number> {
  return new Promise((resolve) => {
    const conn = net.connect(socket);
    let finished = false;
    const finish = (code: number, why?: string) => {
      if (finished) return;
      finished = true;
      if (why) process.stderr.write(`vzagent rpc: ${why}\n`);
      conn.destroy();
      resolve(code);
    };
    conn.once('error', (e) => finish(1, `cannot reach vzagentd at ${socket}: ${e.message}`));
    conn.once('connect', () => {
      process.stdin.pipe(conn);
      conn.pipe(process.stdout);
      // stdin EOF: half-close; the daemon answers what is in flight, then closes its side
      process.stdin.once('end', () => conn.end());
      conn.once('end', () => finish(0));
      conn.once('close', () => finish(0));
      process.stdout.once('error', () => finish(0)); // EPIPE: the reader went away
    });
  });
}
