import net from 'node:net';

/** A byte-stream request for the daemon (streams.ts): sent as the first line, answered by one ack line. */
export interface StreamRequest { header: Record<string, unknown>; what: string }

/**
 * `vzagent rpc`: the forced SSH command (and the local transport's child). Pipes stdin to the
 * daemon's unix socket and the socket to stdout. Exits when the daemon closes, when stdout
 * breaks, or once stdin has ended and the daemon has answered what was in flight (it closes
 * then). A dropped SSH session never leaves a bridge behind; operations keep running in the daemon.
 * With `stream`, the daemon serves a console or migration receiver on the same pipe instead: the
 * bridge then needs no privileges beyond the socket (it runs as the node's agent SSH account).
 */
export function runRpcBridge(socket: string, stream?: StreamRequest): Promise<number> {
  return new Promise((resolve) => {
    const conn = net.connect(socket);
    let finished = false;
    const finish = (code: number, why?: string) => {
      if (finished) return;
      finished = true;
      if (why) process.stderr.write(`vzagent ${stream?.what ?? 'rpc'}: ${why}\n`);
      conn.destroy();
      resolve(code);
    };
    // stdout to a pipe is asynchronous: what a slow reader has not taken yet (a download's tail and its
    // exit frame) is still queued when the daemon's side ends, and the process.exit after `finish` would
    // drop it. An empty write's callback runs once everything queued before it is written.
    const flushThenFinish = () => process.stdout.write('', () => finish(0));
    const pipeOut = () => {
      conn.pipe(process.stdout);
      conn.once('end', flushThenFinish);
      conn.once('close', flushThenFinish);
    };
    conn.once('error', (e) => finish(1, `cannot reach vzagentd at ${socket}: ${e.message}`));
    conn.once('connect', () => {
      if (stream) conn.write(`${JSON.stringify(stream.header)}\n`);
      process.stdin.pipe(conn);
      // stdin EOF: half-close; the daemon answers what is in flight, then closes its side
      process.stdin.once('end', () => conn.end());
      process.stdout.once('error', () => finish(0)); // EPIPE: the reader went away
      // sshd hanging up (SIGHUP) or the panel's close (SIGTERM): drop the socket, the daemon ends the session
      for (const s of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.once(s, () => finish(0));
      if (!stream) return pipeOut();
      let head = Buffer.alloc(0);
      const onAck = (b: Buffer) => {
        head = Buffer.concat([head, b]);
        const nl = head.indexOf(10);
        if (nl < 0) return;
        conn.off('data', onAck);
        conn.pause();
        let ack: { ok?: boolean; error?: string } = {};
        try { ack = JSON.parse(head.subarray(0, nl).toString('utf8')) as typeof ack; } catch { /* handled below */ }
        if (!ack.ok) return finish(126, ack.error ?? 'vzagentd did not accept the stream request');
        conn.off('close', closedBeforeAck);
        if (head.length > nl + 1) conn.unshift(head.subarray(nl + 1));
        pipeOut();
      };
      const closedBeforeAck = () => finish(1, 'vzagentd closed the connection before accepting the stream');
      conn.on('data', onAck);
      conn.once('close', closedBeforeAck);
    });
  });
}
