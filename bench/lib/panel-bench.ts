// Shared set-up of the benchmarks that go through the panel (panel-create, panel-profile): embedded
// Postgres, a real node (makePanelTestNode) with names from the command line, ctids from a base,
// and a wait for task events that does not load the machine it measures.
import pg from 'pg';
import type { PrismaClient } from '@/server/db/client';
import { closeAll } from '@/server/nodes/pool';
import { makePanelTestNode, type PanelTestNode } from '@/test/fixtures/panel-node';
import { benchDatabase } from './db';

/** --net, --bridge-prefix, --tmp-prefix: keep a run apart from other work on the same machine. */
export const nodeNames = (args: Record<string, string | boolean>) => ({
  net: args.net as string | undefined, bridgePrefix: args['bridge-prefix'] as string | undefined, tmpPrefix: args['tmp-prefix'] as string | undefined,
});

export interface PanelBench { url: string; prisma: PrismaClient; node: PanelTestNode; nextTaskEvent(): Promise<void> }

/**
 * Database + node + ctid counter at `ctidBase`. Teardown steps go onto `stopAll`; the node is
 * handed to `onNode` as soon as it exists, so a failure later still cleans it up.
 */
export async function panelBench(pgDir: string, stopAll: Array<() => Promise<unknown>>, args: Record<string, string | boolean>, ctidBase: number, onNode: (n: PanelTestNode) => void): Promise<PanelBench> {
  const { url, prisma } = await benchDatabase(pgDir, stopAll, 10);
  const node = await makePanelTestNode(prisma, { names: nodeNames(args) });
  onNode(node);
  stopAll.unshift(() => closeAll());
  await prisma.setting.update({ where: { key: 've.nextCtid' }, data: { value: ctidBase } });
  // Waits on the runner's NOTIFY instead of polling the Task table every few ms: a 25 ms poll of N rows
  // was the bench's own load on the 2 cores it measures (the raw peer has none). A 1 s poll covers a lost one.
  const listener = new pg.Client({ connectionString: url });
  await listener.connect();
  stopAll.unshift(() => listener.end());
  await listener.query('LISTEN vz_task');
  let wake: (() => void) | undefined;
  listener.on('notification', () => wake?.());
  return { url, prisma, node, nextTaskEvent: () => new Promise<void>((r) => { wake = r; setTimeout(r, 1000); }) };
}
