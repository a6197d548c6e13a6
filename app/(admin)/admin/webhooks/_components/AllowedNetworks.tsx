'use client';
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { Card, CardBody, CardHeader } from '@/app/_components/Card';
import { Button } from '@/app/_components/Button';
import { Input } from '@/app/_components/Input';
import { ErrorAlert } from '@/app/_components/Alert';
import { CanChange } from '@/app/_components/Can';

/** Networks webhooks may reach although they are loopback, link-local or internal (e.g. a billing box on the node LAN). */
export function AllowedNetworks() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const current = useQuery(trpc.webhooks.allowedNetworks.queryOptions());
  const [text, setText] = useState<string | null>(null);
  const save = useMutation(trpc.webhooks.setAllowedNetworks.mutationOptions({
    onSuccess: () => { setText(null); return qc.invalidateQueries({ queryKey: trpc.webhooks.allowedNetworks.queryKey() }); },
  }));
  const value = text ?? current.data?.networks.join(', ') ?? '';
  return (
    <Card>
      <CardHeader title="Allowed internal networks" subtitle="Webhooks never go to loopback, link-local, metadata or node/VE addresses unless listed here." />
      <CardBody>
        <ErrorAlert error={current.error ?? save.error} className="mb-3" />
        <CanChange otherwise={<code className="text-sm">{value || 'none'}</code>}>
          <div className="flex gap-2">
            <Input aria-label="Allowed networks" placeholder="10.0.5.0/24, 127.0.0.1/32" value={value} onChange={(e) => setText(e.target.value)} data-testid="webhook-allowed" />
            <Button variant="secondary" loading={save.isPending} onClick={() => save.mutate({ networks: value.split(/[\s,]+/).filter(Boolean) })} data-testid="webhook-allowed-save">Save</Button>
          </div>
        </CanChange>
      </CardBody>
    </Card>
  );
}
