// What node.info and hello say about backups on this node.
import { FEATURES, type FeatureName } from '@/agents/protocol';
import { copyCapability } from './pit';
import { resticVersion } from './restic';

let version: Promise<string | null> | undefined;
const restic = () => (version ??= resticVersion());

/** node.info.backup: copy mode with its reason, and restic's version (null: not installed). */
export async function backupCapability(vzroot: string) {
  const [cap, v] = await Promise.all([copyCapability(vzroot), restic()]);
  return { ...cap, restic: v };
}

/** hello features: ve-snapshot always, ve-backup with restic, reflink-copy where images clone. */
export async function backupFeatures(vzroot: string): Promise<FeatureName[]> {
  const [cap, v] = await Promise.all([copyCapability(vzroot).catch(() => undefined), restic()]);
  return [FEATURES.veSnapshot, ...(v ? [FEATURES.veBackup] : []), ...(cap?.copyMode === 'reflink' ? [FEATURES.reflinkCopy] : [])];
}
