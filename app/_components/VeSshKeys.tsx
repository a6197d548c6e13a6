'use client';
// SSH keys for root in a VE (admin and owner): listed, added, removed after a confirm. Written into
// /root/.ssh/authorized_keys live and again after a reinstall; lines root added inside the VE stay.
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { formatDate } from '@/app/_lib/format';
import { Card, CardBody, CardHeader } from '@/app/_components/Card';
import { Button } from '@/app/_components/Button';
import { ErrorAlert } from '@/app/_components/Alert';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';

export function VeSshKeys({ veId, portal, disabled, readOnly, onTask }: { veId: string; portal?: boolean; disabled?: boolean; readOnly?: boolean; onTask: (id: string) => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const r = portal ? trpc.portal : trpc.ves;
  const keys = useQuery(r.sshKeys.queryOptions({ id: veId }));
  const [line, setLine] = useState('');
  const [confirming, setConfirming] = useState<string | null>(null);
  const changed = (taskId: string) => { void qc.invalidateQueries({ queryKey: r.sshKeys.queryKey({ id: veId }) }); onTask(taskId); };
  const add = useMutation(r.addSshKey.mutationOptions({ onSuccess: (x) => { setLine(''); changed(x.taskId); } }));
  const remove = useMutation(r.removeSshKey.mutationOptions({ onSuccess: (x) => { setConfirming(null); changed(x.taskId); } }));
  const submit = (e: FormEvent) => { e.preventDefault(); add.mutate({ id: veId, publicKey: line.trim() }); };
  return (
    <Card data-testid="ve-sshkeys">
      <CardHeader title="SSH keys" subtitle="Keys for root, written to /root/.ssh/authorized_keys at once and kept across reinstall." />
      <Table>
        <THead><tr><Th>Key</Th><Th>Comment</Th><Th>Added</Th><Th /></tr></THead>
        <TBody>
          {keys.isPending && <EmptyRow colSpan={4}>Loading…</EmptyRow>}
          {keys.data && !keys.data.length && <EmptyRow colSpan={4}>No SSH keys yet.</EmptyRow>}
          {keys.data?.map((k) => (
            <tr key={k.id} data-testid="sshkey-row">
              <Td className="font-mono text-xs">{k.type} {k.fingerprint}</Td><Td>{k.comment ?? '—'}</Td><Td>{formatDate(k.createdAt)}</Td>
              <Td className="text-right">
                {readOnly ? null : confirming === k.id ? (
                  <span className="flex justify-end gap-2">
                    <Button size="sm" variant="danger" loading={remove.isPending} onClick={() => remove.mutate({ id: veId, keyId: k.id })} data-testid="sshkey-remove-confirm">Remove key</Button>
                    <Button size="sm" variant="ghost" onClick={() => setConfirming(null)}>Cancel</Button>
                  </span>
                ) : <Button size="sm" variant="secondary" disabled={disabled} onClick={() => { remove.reset(); setConfirming(k.id); }} data-testid="sshkey-remove">Remove</Button>}
              </Td>
            </tr>
          ))}
        </TBody>
      </Table>
      <CardBody>
        <ErrorAlert error={keys.error} className="mb-3" />
        {!readOnly && <form onSubmit={submit} className="flex flex-col gap-2" data-testid="sshkey-form">
          <textarea value={line} onChange={(e) => setLine(e.target.value)} rows={2} placeholder="ssh-ed25519 AAAA… you@laptop" aria-label="Public key"
            className="w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-xs" data-testid="sshkey-input" />
          <div><Button type="submit" loading={add.isPending} disabled={disabled || !line.trim()} data-testid="sshkey-add">Add key</Button></div>
        </form>}
        <ErrorAlert error={add.error ?? remove.error} className="mt-3" />
      </CardBody>
    </Card>
  );
}
