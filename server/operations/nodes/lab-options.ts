// Where the bootstrap installs a node's agent when the environment says so: labs and the
// browser tests run several "nodes" on one machine, so each gets its own folder, no apt, no systemd.
import path from 'node:path';
import type { BootstrapOptions } from '@/server/nodes/ssh/bootstrap';

/**
 * With VZ_NODE_BOOTSTRAP_DIR set, node `<name>` is installed under `<dir>/<name>/` (agent in opt/,
 * vzroot in vz/, the agent account's home in home/, the unit file beside them), started directly
 * and without apt. VZ_NODE_BOOTSTRAP_AGENT_USER and VZ_NODE_BOOTSTRAP_BRIDGE name the agent
 * account and the VE bridge. Unset: {} (the real defaults: /opt/vzpanel-agent, /var/lib/vz, systemd).
 */
export function bootstrapOptionsFromEnv(env: NodeJS.ProcessEnv): (node: { name: string }) => BootstrapOptions {
  const dir = env.VZ_NODE_BOOTSTRAP_DIR;
  if (!dir) return () => ({});
  return (node) => {
    const base = path.join(path.resolve(dir), node.name);
    return {
      installRoot: path.join(base, 'opt'), vzroot: path.join(base, 'vz'), agentHome: path.join(base, 'home'), unitPath: path.join(base, 'vzagentd.service'),
      packages: false, startWith: 'direct',
      ...(env.VZ_NODE_BOOTSTRAP_AGENT_USER ? { agentUser: env.VZ_NODE_BOOTSTRAP_AGENT_USER } : {}),
      ...(env.VZ_NODE_BOOTSTRAP_BRIDGE ? { bridge: env.VZ_NODE_BOOTSTRAP_BRIDGE } : {}),
    };
  };
}
