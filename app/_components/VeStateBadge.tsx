import { Badge, type Tone } from '@/app/_components/Badge';

const tones: Record<string, Tone> = { running: 'green', stopped: 'slate', suspended: 'amber', error: 'red', destroying: 'red' };

/** A VE's state; busy states (creating, migrating, reinstalling, restoring) show indigo. */
export function VeStateBadge({ state }: { state: string }) {
  return <Badge tone={tones[state] ?? 'indigo'} dot data-testid="ve-state">{state}</Badge>;
}
