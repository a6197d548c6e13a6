import os from 'node:os';
import { AGENT_VERSION, CORE_FEATURES, FEATURES, PROTOCOL_VERSION } from '@/agents/protocol';
import { canResizeOnline } from '../storage/image';
import { defineHandler } from '../daemon/types';
import { cgroupVersion, criuStatus, lxcVersion, storageBackends } from '../daemon/probe';
import { registeredMethods } from '../daemon/registry-state';
import { hostFacts } from '../lxc/host-facts';
import { backupFeatures } from '../backup/capability';

export const hello = defineHandler({
  method: 'hello',
  async run(_params, ctx) {
    const [lxc, criu, growOnline, backup] = await Promise.all([lxcVersion(), criuStatus(), canResizeOnline(), backupFeatures(ctx.vzroot)]);
    return {
      agentVersion: AGENT_VERSION,
      protocolVersion: PROTOCOL_VERSION,
      hostname: os.hostname(),
      capabilities: {
        lxcVersion: lxc,
        cgroup: cgroupVersion(),
        criu,
        storage: storageBackends(),
        features: [
          ...CORE_FEATURES, ...(growOnline ? [FEATURES.diskGrowOnline] : []),
          ...(criu.usable && hostFacts().consoleLog === false ? [FEATURES.criuCheckpoint, FEATURES.criuMigrate] : []),
          ...backup,
        ],
        methods: registeredMethods(),
      },
    };
  },
});
