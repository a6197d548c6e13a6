// template.recipes and template.build by recipe name through a real vzagentd (the panel's path), against
// the machine's real Debian mirror. Builds only busybox (seconds); the Debian builds are debian.int.test.ts.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURES } from '@/agents/protocol';
import { AgentClient } from '@/server/nodes/client';
import { ensureLocalDaemon, type LocalDaemon } from '@/server/nodes/local-daemon';
import { LocalTransport } from '@/server/nodes/local';
import { deleteBridge } from '../net/bridge';
import { hostMirror } from './debian';
import { ensureAgentBuilt } from '@/test/fixtures/agent-build';

const vzroot = `/tmp/vz-tb-rcp-${randomBytes(4).toString('hex')}`;
const socket = path.join(vzroot, 'run', 'vzagentd.sock');
const bridge = `vztb${randomBytes(2).toString('hex')}`; // the daemon makes it at start
let daemon: LocalDaemon | undefined;
let client: AgentClient;
const opId = () => `op-tb-${randomBytes(5).toString('hex')}`;

beforeAll(async () => {
  await ensureAgentBuilt();
  mkdirSync(vzroot, { recursive: true });
  daemon = await ensureLocalDaemon({ vzroot, socket, bridge });
  client = new AgentClient(new LocalTransport({ socket }), { node: 'vztb-test', backoffBaseMs: 50 });
});
afterAll(async () => {
  await client?.close();
  await daemon?.stop('SIGKILL');
  await deleteBridge(bridge);
  rmSync(vzroot, { recursive: true, force: true });
});

describe('template recipes on a node', () => {
  it('lists busybox and every Debian release with whether the node mirror serves it', async () => {
    const h = await client.hello();
    expect(h.capabilities.features).toContain(FEATURES.templateRecipes);
    const r = await client.call('template.recipes', {});
    expect(r.mirror).toBe(await hostMirror());
    expect(r.recipes.map((x) => [x.name, x.suite, x.available])).toEqual([
      ['busybox', 'busybox-static', true], ['debian-11', 'bullseye', true], ['debian-12', 'bookworm', true], ['debian-13', 'trixie', true],
    ]);
    expect(r.recipes[3].packages).toEqual(expect.arrayContaining(['systemd-sysv', 'openssh-server']));
  });

  it('builds by name through template.build and refuses a name with no recipe, leaving the cache as it was', async () => {
    expect(await client.call('template.build', { name: 'busybox' }, { opId: opId() })).toMatchObject({ name: 'busybox', os: 'busybox' });
    await expect(client.call('template.build', { name: 'debian-99' }, { opId: opId() })).rejects.toMatchObject({
      code: 'NOT_FOUND', message: expect.stringMatching(/no build recipe for template "debian-99" \(known: debian-11, debian-12, debian-13\)/),
    });
    expect((await client.call('template.list', {})).templates.map((t) => t.name)).toEqual(['busybox']);
    expect(readdirSync(path.join(vzroot, 'template')).filter((f) => f.startsWith('.build-'))).toEqual([]);
  });
});
