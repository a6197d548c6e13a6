import path from 'node:path';

export interface AgentConfig {
  vzroot: string;
  socket: string;
  bridge: string;
  /** LXC lxcpath: <vzroot>/lxc */
  lxcpath: string;
  journalDir: string;
  /** Group (the agent SSH account's) that may connect to the socket; unset: root only. */
  socketGroup?: string;
  /** Register the test-only handlers (VZ_AGENT_TEST_HANDLERS=1). */
  testHandlers: boolean;
}

/** Reads `--name value` / `--name=value` from argv. */
export function flag(argv: string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === `--${name}`) return argv[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

/** Agent options from flags, then env, then defaults (brief: --vzroot/VZ_ROOT, --socket/VZ_SOCKET, --bridge/VZ_BRIDGE). */
export function loadConfig(argv: string[] = process.argv.slice(2), env: Record<string, string | undefined> = process.env): AgentConfig {
  const vzroot = path.resolve(flag(argv, 'vzroot') ?? env.VZ_ROOT ?? '/var/lib/vz');
  return {
    vzroot,
    socket: path.resolve(flag(argv, 'socket') ?? env.VZ_SOCKET ?? path.join(vzroot, 'run', 'vzagentd.sock')),
    bridge: flag(argv, 'bridge') ?? env.VZ_BRIDGE ?? 'vzbr0',
    lxcpath: path.join(vzroot, 'lxc'),
    journalDir: path.join(vzroot, 'journal'),
    socketGroup: flag(argv, 'socket-group') ?? env.VZ_SOCKET_GROUP,
    testHandlers: env.VZ_AGENT_TEST_HANDLERS === '1',
  };
}
