// The panel pushes templates into this node's cache (template.receive.*) and pulls a node-built one (template.read).
import { defineHandler } from '../daemon/types';
import { abortReceive, beginReceive, commitReceive, readTemplate, receiveChunk } from '../templates/receive';

export const templateReceiveHandlers = [
  defineHandler({ method: 'template.receive.begin', run: (p, ctx) => beginReceive(ctx.vzroot, p.manifest) }),
  defineHandler({ method: 'template.receive.chunk', run: async (p) => ({ received: await receiveChunk(p.transfer, p.offset, Buffer.from(p.data, 'base64')) }) }),
  defineHandler({ method: 'template.receive.commit', run: (p) => commitReceive(p.transfer) }),
  defineHandler({ method: 'template.receive.abort', run: async (p) => ({ aborted: await abortReceive(p.transfer) }) }),
  defineHandler({ method: 'template.read', run: (p, ctx) => readTemplate(ctx.vzroot, p.name, p.offset, p.length) }),
];
