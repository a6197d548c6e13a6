import { makeTestNode } from './test-env';
import { createVe } from './create';
import { startVe, stopVe } from './power';
import { execInVe } from './exec';
import { withUndo } from '../sys/undo';
import { importTemplate } from '../templates/cache';
import { readFileSync } from 'node:fs';
const node = await makeTestNode();
const c = node.ctid();
try {
  await importTemplate(node.vzroot, '/tmp/vz-deb-out/debian-12.tar.gz', JSON.parse(readFileSync('/tmp/vz-deb-out/debian-12.json', 'utf8')));
  let t = Date.now();
  await withUndo((u) => createVe(node, { ctid: c, ostemplate: 'debian-12', hostname: 'deb1', ips: [node.ip()], password: 'pw1', diskspace: 1024 * 2 ** 20, ram: 256 * 2 ** 20 }, u));
  console.log('create ms', Date.now() - t); t = Date.now();
  await startVe(node, c);
  console.log('start ms', Date.now() - t);
  await new Promise((r) => setTimeout(r, 4000));
  console.log(await execInVe(node, { ctid: c, script: 'cat /proc/1/comm; systemctl is-system-running; systemctl --failed --no-legend; ps -e -o pid,comm | head -20; free -m; hostname; ss -ltn 2>/dev/null || true' }));
  t = Date.now();
  console.log(await stopVe(node, c, { timeoutSec: 20 }), 'stop ms', Date.now() - t);
} catch (e) { console.log(e); }
await node.cleanup();
