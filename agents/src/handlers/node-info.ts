import { defineHandler } from '../daemon/types';
import { backupCapability } from '../backup/capability';
import { densityFacts } from '../setup/density';
import { cpuCount, criuStatus, diskInfo, loadAvg, memInfo, uptimeSeconds, veCounts } from '../daemon/probe';

export const nodeInfo = defineHandler({
  method: 'node.info',
  async run(_params, ctx) {
    const [memory, disk, load, uptime, ves, criu, backup, density] = await Promise.all([
      memInfo(),
      diskInfo(ctx.vzroot),
      loadAvg(),
      uptimeSeconds(),
      veCounts(ctx.vzroot, ctx.config.lxcpath),
      criuStatus(),
      backupCapability(ctx.vzroot),
      densityFacts(ctx.config.bridge),
    ]);
    return { cpus: cpuCount(), memory, disk, load, uptimeSeconds: uptime, ves, criu, backup, density };
  },
});
