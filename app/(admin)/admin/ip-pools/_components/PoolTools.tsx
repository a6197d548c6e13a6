'use client';
import { useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTRPC, type RouterOutputs } from '@/app/_lib/trpc';
import { Button } from '@/app/_components/Button';
import { Field } from '@/app/_components/Input';
import { Alert, ErrorAlert } from '@/app/_components/Alert';

type Pool = RouterOutputs['ipPools']['list'][number];

/** Per-pool admin tools shown in an expanded row: edit gateway/nameservers, reserve or release an address, delete when unused. */
export function PoolTools({ pool }: { pool: Pool }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const invalidate = () => qc.invalidateQueries({ queryKey: trpc.ipPools.list.queryKey() });
  const [f, setF] = useState({ gateway: pool.gateway ?? '', nameservers: pool.nameservers.join(', ') });
  const [address, setAddress] = useState('');
  const update = useMutation(trpc.ipPools.update.mutationOptions({ onSuccess: invalidate }));
  const reserve = useMutation(trpc.ipPools.setReserved.mutationOptions({ onSuccess: invalidate }));
  const remove = useMutation(trpc.ipPools.remove.mutationOptions({ onSuccess: invalidate }));
  const save = (e: FormEvent) => {
    e.preventDefault();
    update.mutate({ id: pool.id, patch: { gateway: f.gateway.trim() || null, nameservers: f.nameservers.split(/[\s,]+/).filter(Boolean) } });
  };
  const hold = (reserved: boolean) => reserve.mutate({ address: address.trim(), reserved });
  return (
    <div className="space-y-4 bg-slate-50 p-4" data-testid={`pool-tools-${pool.name}`}>
      <ErrorAlert error={update.error ?? reserve.error ?? remove.error} />
      {update.isSuccess && <Alert tone="success">Saved.</Alert>}
      {reserve.data && <Alert tone="success">{reserve.data.address} is {reserve.data.reserved ? 'reserved' : 'free to assign again'}.</Alert>}
      <form onSubmit={save} className="grid gap-3 md:grid-cols-[1fr_1fr_auto] md:items-end">
        <Field label="Gateway" value={f.gateway} onChange={(e) => setF({ ...f, gateway: e.target.value })} data-testid="pool-edit-gateway" />
        <Field label="Nameservers" value={f.nameservers} onChange={(e) => setF({ ...f, nameservers: e.target.value })} data-testid="pool-edit-nameservers" />
        <Button type="submit" loading={update.isPending} data-testid="pool-save">Save</Button>
      </form>
      <div className="grid gap-3 md:grid-cols-[1fr_auto_auto] md:items-end">
        <Field label="Address to hold back" placeholder="10.199.5.9" value={address} onChange={(e) => setAddress(e.target.value)} data-testid="pool-reserve-address" />
        <Button variant="secondary" disabled={!address.trim()} loading={reserve.isPending} onClick={() => hold(true)} data-testid="pool-reserve">Reserve</Button>
        <Button variant="secondary" disabled={!address.trim()} loading={reserve.isPending} onClick={() => hold(false)}>Release</Button>
      </div>
      <div>
        {pool.usage.used === 0 ? (
          <Button variant="danger" loading={remove.isPending} data-testid="pool-delete"
            onClick={() => { if (window.confirm(`Delete pool ${pool.name} and its ${pool.usage.total} addresses?`)) remove.mutate({ id: pool.id }); }}>Delete pool</Button>
        ) : <p className="text-sm text-slate-500">{pool.usage.used} address(es) in use: release them before the pool can be deleted.</p>}
      </div>
    </div>
  );
}
