'use client';
// A VE's addresses (admin): add an extra IPv4/IPv6 from the pools serving its node, remove one after a confirm.
import { useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { Card, CardBody, CardHeader } from '@/app/_components/Card';
import { Button } from '@/app/_components/Button';
import { Input } from '@/app/_components/Input';
import { Select } from '@/app/_components/Select';
import { ErrorAlert } from '@/app/_components/Alert';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';

interface Address { address: string; prefix: number; gateway: string | null; nameservers: string[]; pool: string }

export function VeAddresses({ veId, addresses, readOnly, onTask }: { veId: string; addresses: Address[]; readOnly?: boolean; onTask: (id: string) => void }) {
  const trpc = useTRPC();
  const [family, setFamily] = useState<'4' | '6'>('4');
  const [address, setAddress] = useState('');
  const [confirming, setConfirming] = useState<string | null>(null);
  const add = useMutation(trpc.ves.addAddress.mutationOptions({ onSuccess: (r) => { setAddress(''); onTask(r.taskId); } }));
  const remove = useMutation(trpc.ves.removeAddress.mutationOptions({ onSuccess: (r) => { setConfirming(null); onTask(r.taskId); } }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate({ id: veId, family: family === '6' ? 6 : 4, ...(address.trim() ? { address: address.trim() } : {}) });
  };
  return (
    <Card data-testid="ve-addresses">
      <CardHeader title="Addresses" subtitle="Extra addresses are added and removed live; the node's anti-spoofing filter follows." />
      <Table>
        <THead><tr><Th>Address</Th><Th>Gateway</Th><Th>Nameservers</Th><Th>Pool</Th><Th /></tr></THead>
        <TBody>
          {!addresses.length && <EmptyRow colSpan={5}>This VE has no address.</EmptyRow>}
          {addresses.map((a) => (
            <tr key={a.address} data-testid={`address-${a.address}`}>
              <Td className="font-mono">{a.address}/{a.prefix}</Td><Td className="font-mono">{a.gateway ?? '—'}</Td>
              <Td className="font-mono text-xs">{a.nameservers.join(', ') || '—'}</Td><Td>{a.pool}</Td>
              <Td className="text-right">
                {readOnly ? null : confirming === a.address ? (
                  <span className="flex justify-end gap-2">
                    <Button size="sm" variant="danger" loading={remove.isPending} onClick={() => remove.mutate({ id: veId, address: a.address })} data-testid="address-remove-confirm">Remove {a.address}</Button>
                    <Button size="sm" variant="ghost" onClick={() => setConfirming(null)}>Cancel</Button>
                  </span>
                ) : (
                  <Button size="sm" variant="secondary" disabled={addresses.length < 2} title={addresses.length < 2 ? 'The only address cannot be removed' : undefined}
                    onClick={() => { remove.reset(); setConfirming(a.address); }} data-testid="address-remove">Remove</Button>
                )}
              </Td>
            </tr>
          ))}
        </TBody>
      </Table>
      {!readOnly && <CardBody>
        <form onSubmit={submit} className="flex flex-wrap items-end gap-3" data-testid="address-add-form">
          <label className="text-sm">Family
            <Select value={family} onChange={(e) => setFamily(e.target.value as '4' | '6')} data-testid="address-family" className="mt-1 w-28">
              <option value="4">IPv4</option><option value="6">IPv6</option>
            </Select>
          </label>
          <label className="text-sm">Address (optional)
            <Input value={address} onChange={(e) => setAddress(e.target.value)} placeholder="next free one" className="mt-1 w-56 font-mono" data-testid="address-input" />
          </label>
          <Button type="submit" loading={add.isPending} data-testid="address-add">Add address</Button>
        </form>
        <ErrorAlert error={add.error ?? remove.error} className="mt-3" />
      </CardBody>}
    </Card>
  );
}
