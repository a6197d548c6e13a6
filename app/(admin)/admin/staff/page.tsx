'use client';
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC, type RouterInputs } from '@/app/_lib/trpc';
import { formatAgo } from '@/app/_lib/format';
import { Card, CardBody, CardHeader, PageHeader } from '@/app/_components/Card';
import { Badge } from '@/app/_components/Badge';
import { Button } from '@/app/_components/Button';
import { Field } from '@/app/_components/Input';
import { Select, SelectField } from '@/app/_components/Select';
import { Alert, ErrorAlert } from '@/app/_components/Alert';
import { OwnerOnly, useStaffRole } from '@/app/_components/Can';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';

type Role = RouterInputs['staff']['create']['adminRole'];
const ROLES: Array<{ value: Role; label: string }> = [
  { value: 'owner', label: 'owner: everything, including staff accounts' },
  { value: 'admin', label: 'admin: runs the fleet' },
  { value: 'support', label: 'support: reads everything, opens consoles, changes nothing' },
  { value: 'billing', label: 'billing: API keys only, no browser sign-in' },
];

function CreateStaff() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [f, setF] = useState<{ email: string; name: string; adminRole: Role }>({ email: '', name: '', adminRole: 'admin' });
  const create = useMutation(trpc.staff.create.mutationOptions({
    onSuccess: () => { setF({ email: '', name: '', adminRole: 'admin' }); return qc.invalidateQueries({ queryKey: trpc.staff.list.queryKey() }); },
  }));
  const submit = (e: FormEvent) => { e.preventDefault(); create.mutate({ email: f.email, name: f.name || undefined, adminRole: f.adminRole }); };
  return (
    <Card>
      <CardHeader title="New staff account" subtitle="A password is generated and shown once; hand it over in person." />
      <CardBody>
        {create.data && (
          <Alert tone="success" title={`Created ${create.data.staff.email} (${create.data.staff.adminRole})`} className="mb-4" data-testid="staff-created">
            {create.data.password ? <>Password (shown once): <code className="select-all font-mono" data-testid="staff-password">{create.data.password}</code></> : 'Billing accounts have no password: create API keys for them.'}
          </Alert>
        )}
        <ErrorAlert error={create.error} className="mb-4" />
        <form onSubmit={submit} className="grid gap-4 md:grid-cols-[1fr_1fr_1.4fr_auto] md:items-end">
          <Field label="E-mail" type="email" required value={f.email} onChange={(e) => setF({ ...f, email: e.target.value })} data-testid="staff-email" />
          <Field label="Name" value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} />
          <SelectField label="Role" value={f.adminRole} onChange={(e) => setF({ ...f, adminRole: e.target.value as Role })} data-testid="staff-role">
            {ROLES.map((r) => <option key={r.value} value={r.value}>{r.label}</option>)}
          </SelectField>
          <Button type="submit" loading={create.isPending} data-testid="staff-create">Create</Button>
        </form>
      </CardBody>
    </Card>
  );
}

export default function StaffPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const myRole = useStaffRole();
  const me = useQuery(trpc.auth.me.queryOptions());
  const list = useQuery(trpc.staff.list.queryOptions());
  const invalidate = () => qc.invalidateQueries({ queryKey: trpc.staff.list.queryKey() });
  const disable = useMutation(trpc.staff.setDisabled.mutationOptions({ onSuccess: invalidate }));
  const setRole = useMutation(trpc.staff.setRole.mutationOptions({ onSuccess: invalidate }));
  const reset2fa = useMutation(trpc.staff.resetSecondFactor.mutationOptions({ onSuccess: invalidate }));
  const owner = myRole === 'owner';
  return (
    <>
      <PageHeader title="Admins and roles" description="Who runs the panel. Only owners change staff accounts; the last owner always stays." />
      <div className="space-y-6">
        <OwnerOnly><CreateStaff /></OwnerOnly>
        <ErrorAlert error={list.error ?? disable.error ?? setRole.error ?? reset2fa.error} />
        <Card>
          <Table>
            <THead><tr><Th>E-mail</Th><Th>Name</Th><Th>Role</Th><Th>2FA</Th><Th>Last sign-in</Th><Th>Status</Th><Th /></tr></THead>
            <TBody>
              {list.isPending && <EmptyRow colSpan={7}>Loading…</EmptyRow>}
              {list.data?.length === 0 && <EmptyRow colSpan={7}>No staff accounts.</EmptyRow>}
              {list.data?.map((s) => (
                <tr key={s.id} data-testid={`staff-row-${s.email}`}>
                  <Td className="font-medium text-slate-900">{s.email}{s.id === me.data?.id && <span className="ml-1 text-xs text-slate-500">(you)</span>}</Td>
                  <Td>{s.name}</Td>
                  <Td>{owner && s.id !== me.data?.id ? (
                    <Select className="w-32" aria-label={`Role of ${s.email}`} value={s.adminRole}
                      onChange={(e) => { if (window.confirm(`Make ${s.email} ${e.target.value}? Their sessions end.`)) setRole.mutate({ id: s.id, adminRole: e.target.value as Role }); }}>
                      {ROLES.map((r) => <option key={r.value} value={r.value}>{r.value}</option>)}
                    </Select>
                  ) : <Badge tone={s.adminRole === 'owner' ? 'indigo' : 'slate'}>{s.adminRole}</Badge>}</Td>
                  <Td>{s.totpEnabled ? <Badge tone="green">on</Badge> : <Badge>off</Badge>}</Td>
                  <Td className="text-slate-500">{formatAgo(s.lastLoginAt)}</Td>
                  <Td>{s.disabled ? <Badge tone="red">disabled</Badge> : <Badge tone="green">active</Badge>}</Td>
                  <Td className="space-x-2 text-right">{owner && s.id !== me.data?.id && (<>
                    {s.totpEnabled && (
                      <Button size="sm" variant="secondary" onClick={() => { if (window.confirm(`Remove ${s.email}'s second factor? They sign in with the password only until they enrol again.`)) reset2fa.mutate({ id: s.id }); }}>Reset 2FA</Button>
                    )}
                    <Button size="sm" variant={s.disabled ? 'secondary' : 'danger'} data-testid={`staff-toggle-${s.email}`}
                      onClick={() => { if (s.disabled || window.confirm(`Disable ${s.email}? Their sessions end at once.`)) disable.mutate({ id: s.id, disabled: !s.disabled }); }}>{s.disabled ? 'Enable' : 'Disable'}</Button>
                  </>)}</Td>
                </tr>
              ))}
            </TBody>
          </Table>
        </Card>
      </div>
    </>
  );
}
