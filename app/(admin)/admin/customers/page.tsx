'use client';
import { useState, type FormEvent } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { formatAgo, formatDate } from '@/app/_lib/format';
import { Card, CardBody, CardHeader, PageHeader } from '@/app/_components/Card';
import { Badge } from '@/app/_components/Badge';
import { Button } from '@/app/_components/Button';
import { Field, Input } from '@/app/_components/Input';
import { Alert, ErrorAlert } from '@/app/_components/Alert';
import { Pager } from '@/app/_components/Pager';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';
import { CanChange } from '@/app/_components/Can';

function CreateCustomer() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [f, setF] = useState({ email: '', name: '', password: '' });
  const create = useMutation(trpc.customers.create.mutationOptions({
    onSuccess: () => { setF({ email: '', name: '', password: '' }); return qc.invalidateQueries({ queryKey: trpc.customers.list.queryKey() }); },
  }));
  const submit = (e: FormEvent) => { e.preventDefault(); create.mutate({ email: f.email, name: f.name || undefined, password: f.password || undefined }); };
  return (
    <Card>
      <CardHeader title="New customer" subtitle="Leave the password empty to generate one (shown once)." />
      <CardBody>
        {create.data && (
          <Alert tone="success" title={`Created ${create.data.customer.email}`} className="mb-4" data-testid="customer-created">
            {create.data.password ? <>Password (shown once): <code className="select-all font-mono" data-testid="customer-password">{create.data.password}</code></> : 'With the password you chose.'}
          </Alert>
        )}
        <ErrorAlert error={create.error} className="mb-4" />
        <form onSubmit={submit} className="grid gap-4 md:grid-cols-[1fr_1fr_1fr_auto] md:items-end">
          <Field label="E-mail" type="email" required value={f.email} onChange={(e) => setF({ ...f, email: e.target.value })} data-testid="customer-email" />
          <Field label="Name" value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} data-testid="customer-name" />
          <Field label="Password" type="password" autoComplete="new-password" value={f.password} onChange={(e) => setF({ ...f, password: e.target.value })} hint="10+ characters, optional" data-testid="customer-password-input" />
          <Button type="submit" loading={create.isPending} data-testid="customer-create">Create customer</Button>
        </form>
      </CardBody>
    </Card>
  );
}

export default function CustomersPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [q, setQ] = useState('');
  const [page, setPage] = useState(1);
  const list = useQuery({ ...trpc.customers.list.queryOptions({ q: q.trim() || undefined, page, pageSize: 50 }), placeholderData: keepPreviousData });
  const invalidate = () => qc.invalidateQueries({ queryKey: trpc.customers.list.queryKey() });
  const disable = useMutation(trpc.customers.setDisabled.mutationOptions({ onSuccess: invalidate }));
  const reset = useMutation(trpc.customers.resetPassword.mutationOptions());
  const remove = useMutation(trpc.customers.remove.mutationOptions({ onSuccess: invalidate }));
  return (
    <>
      <PageHeader title="Customers" description="People who sign in to the portal to manage their own VEs." />
      <div className="space-y-6">
        <CanChange><CreateCustomer /></CanChange>
        <ErrorAlert error={list.error ?? disable.error ?? reset.error ?? remove.error} />
        {reset.data?.password && <Alert tone="success" title="New password (shown once)"><code className="select-all font-mono">{reset.data.password}</code></Alert>}
        <Card>
          <div className="border-b border-slate-200 p-4"><Input className="max-w-sm" placeholder="Search e-mail, name, external id" value={q} onChange={(e) => { setQ(e.target.value); setPage(1); }} aria-label="Search customers" /></div>
          <Table>
            <THead><tr><Th>E-mail</Th><Th>Name</Th><Th>External id</Th><Th>VEs</Th><Th>Last login</Th><Th>Created</Th><Th>Status</Th><Th /></tr></THead>
            <TBody>
              {list.isPending && <EmptyRow colSpan={8}>Loading…</EmptyRow>}
              {list.data?.total === 0 && <EmptyRow colSpan={8}>No customers.</EmptyRow>}
              {list.data?.items.map((c) => (
                <tr key={c.id} data-testid={`customer-row-${c.email}`}>
                  <Td className="font-medium text-slate-900">{c.email}</Td>
                  <Td>{c.name}</Td>
                  <Td className="font-mono text-xs">{c.externalId ?? '—'}</Td>
                  <Td>{c.veCount}</Td>
                  <Td className="text-slate-500">{formatAgo(c.lastLoginAt)}</Td>
                  <Td className="text-slate-500">{formatDate(c.createdAt)}</Td>
                  <Td>{c.disabled ? <Badge tone="red">disabled</Badge> : <Badge tone="green">active</Badge>}</Td>
                  <Td className="space-x-2 text-right"><CanChange>
                    <Button size="sm" variant="secondary" onClick={() => { if (window.confirm(`Generate a new password for ${c.email}? Their sessions end.`)) reset.mutate({ id: c.id }); }}>Reset password</Button>
                    <Button size="sm" variant={c.disabled ? 'secondary' : 'danger'} onClick={() => disable.mutate({ id: c.id, disabled: !c.disabled })}>{c.disabled ? 'Enable' : 'Disable'}</Button>
                    {c.veCount === 0 && (
                      <Button size="sm" variant="danger" data-testid={`customer-delete-${c.email}`}
                        onClick={() => { if (window.confirm(`Delete ${c.email} and their login for good?`)) remove.mutate({ id: c.id }); }}>Delete</Button>
                    )}
                  </CanChange></Td>
                </tr>
              ))}
            </TBody>
          </Table>
          {list.data && <Pager page={list.data.page} pageSize={list.data.pageSize} total={list.data.total} onPage={setPage} />}
        </Card>
      </div>
    </>
  );
}
