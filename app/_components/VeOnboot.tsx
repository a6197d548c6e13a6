'use client';
// Autostart toggle (admin): saved in the VE's config on its node by a ve.set task.
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { Card, CardBody, CardHeader } from '@/app/_components/Card';
import { Button } from '@/app/_components/Button';
import { ErrorAlert } from '@/app/_components/Alert';
import { Badge } from '@/app/_components/Badge';

export function VeOnboot({ veId, onboot, onTask }: { veId: string; onboot: boolean; onTask: (id: string) => void }) {
  const trpc = useTRPC();
  const set = useMutation(trpc.ves.setOnboot.mutationOptions({ onSuccess: (r) => onTask(r.taskId) }));
  return (
    <Card data-testid="ve-onboot">
      <CardHeader title="Autostart" subtitle="Start this VE when its node boots (OpenVZ ONBOOT)." />
      <CardBody className="flex items-center justify-between gap-4">
        <span className="text-sm">Currently <Badge tone={onboot ? 'green' : 'slate'} data-testid="onboot-state">{onboot ? 'on' : 'off'}</Badge></span>
        <Button variant="secondary" size="sm" loading={set.isPending} onClick={() => set.mutate({ id: veId, onboot: !onboot })} data-testid="onboot-toggle">
          {onboot ? 'Turn autostart off' : 'Turn autostart on'}
        </Button>
      </CardBody>
      <ErrorAlert error={set.error} className="mx-5 mb-4" />
    </Card>
  );
}
