'use client';
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { formatAgo, formatDate } from '@/app/_lib/format';
import { Card, CardBody, CardHeader, PageHeader } from '@/app/_components/Card';
import { Badge } from '@/app/_components/Badge';
import { CanChange } from '@/app/_components/Can';
import { Button } from '@/app/_components/Button';
import { Field } from '@/app/_components/Input';
import { CheckList } from '@/app/_components/CheckList';
import { Alert, ErrorAlert } from '@/app/_components/Alert';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';
import { API_KEY_SCOPES, scopeDescription, type ApiScope } from '@/app/_lib/scopes';

function CreateKey() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ApiScope[]>([]);
  const create = useMutation(trpc.apiKeys.create.mutationOptions({
    onSuccess: () => { setName(''); setScopes([]); return qc.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() }); },
  }));
  const submit = (e: FormEvent) => { e.preventDefault(); create.mutate({ name: name.trim(), scopes }); };
  return (
    <Card>
      <CardHeader title="New API key" subtitle="For a billing system (WHMCS, Blesta, HostBill) calling /api/v1." />
      <CardBody>
        {create.data && (
          <Alert tone="success" title="Copy this key now. It is shown only once." className="mb-4" data-testid="api-key-created">
            <code className="mt-1 block select-all break-all rounded bg-white/70 px-2 py-1.5 font-mono text-xs text-slate-900" data-testid="api-key-secret">{create.data.key}</code>
          </Alert>
        )}
        <ErrorAlert error={create.error} className="mb-4" />
        <form onSubmit={submit} className="grid gap-4 md:grid-cols-[1fr_2fr_auto] md:items-end">
          <Field label="Name" name="name" placeholder="whmcs-production" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
          <CheckList label="Scopes" options={API_KEY_SCOPES.map((s) => ({ value: s, label: <code className="text-xs">{s}</code>, title: scopeDescription(s) }))}
            value={scopes} onChange={setScopes} />
          <Button type="submit" loading={create.isPending}>Create key</Button>
        </form>
      </CardBody>
    </Card>
  );
}

export default function ApiKeysPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions({
    onSuccess: () => qc.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() }),
  }));
  return (
    <>
      <PageHeader title="API keys" description="Keys are stored hashed; a revoked key stops working at once." />
      <div className="space-y-6">
        <CanChange><CreateKey /></CanChange>
        <ErrorAlert error={keys.error ?? revoke.error} />
        <Card>
          <Table>
            <THead>
              <tr><Th>Name</Th><Th>Key</Th><Th>Scopes</Th><Th>Created</Th><Th>Last used</Th><Th>Status</Th><Th /></tr>
            </THead>
            <TBody>
              {keys.isPending && <EmptyRow colSpan={7}>Loading…</EmptyRow>}
              {keys.data?.length === 0 && <EmptyRow colSpan={7}>No API keys yet.</EmptyRow>}
              {keys.data?.map((k) => (
                <tr key={k.id} data-testid={`api-key-${k.id}`}>
                  <Td className="font-medium text-slate-900">{k.name}</Td>
                  <Td className="font-mono text-xs">{k.prefix}…</Td>
                  <Td><div className="flex flex-wrap gap-1">{k.scopes.map((s) => <Badge key={s}>{s}</Badge>)}</div></Td>
                  <Td className="text-slate-500">{formatDate(k.createdAt)}</Td>
                  <Td className="text-slate-500">{formatAgo(k.lastUsedAt)}</Td>
                  <Td>{k.revokedAt ? <Badge tone="red">revoked</Badge> : <Badge tone="green">active</Badge>}</Td>
                  <Td className="text-right">
                    {!k.revokedAt && (<CanChange>
                      <Button variant="secondary" size="sm" loading={revoke.isPending && revoke.variables?.id === k.id}
                        onClick={() => { if (window.confirm(`Revoke "${k.name}"? Billing calls with it will fail at once.`)) revoke.mutate({ id: k.id }); }}>
                        Revoke
                      </Button>
                    </CanChange>)}
                  </Td>
                </tr>
              ))}
            </TBody>
          </Table>
        </Card>
      </div>
    </>
  );
}
