/**
 * The root-only preparation of the panel, alone: systemd runs it as `ExecStartPre=+` before the
 * panel itself starts as `User=vzpanel` (agents/systemd/vzpanel.service). `./vz up` does not need
 * it: server/main.ts started as root does the same, then drops to the panel user.
 */
import path from 'node:path';
import { readConfig } from './boot/config';
import { prepareForUnit } from './boot/panel-user';
import { describeThrown } from './boot/startup-error';

prepareForUnit(readConfig(), path.resolve(import.meta.dirname, '..')).catch((err: unknown) => {
  console.error(`vzpanel: preparing the panel user failed: ${describeThrown(err)}`);
  process.exit(1);
});
