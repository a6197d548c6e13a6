'use client';
// Uploads a rootfs tarball to POST /api/templates/upload: the browser streams the file from disk
// (XHR, so the admin sees progress); the panel's refusal reason is shown as it came.
import { useState, type FormEvent } from 'react';
import { Alert } from '@/app/_components/Alert';
import { Button } from '@/app/_components/Button';
import { Field } from '@/app/_components/Input';

type Outcome = { ok: true; text: string } | { ok: false; text: string } | null;

function send(file: File, query: URLSearchParams, onProgress: (pct: number) => void): Promise<{ status: number; body: { error?: { message: string }; template?: { name: string; os: string; version: string } } }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/templates/upload?${query}`);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(Math.round((e.loaded / e.total) * 100));
    xhr.onload = () => {
      try {
        resolve({ status: xhr.status, body: JSON.parse(xhr.responseText) });
      } catch {
        resolve({ status: xhr.status, body: { error: { message: `upload failed (HTTP ${xhr.status})` } } });
      }
    };
    xhr.onerror = () => reject(new Error('the connection broke during the upload'));
    xhr.send(file);
  });
}

export function TemplateUpload({ onDone }: { onDone: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  const [arch, setArch] = useState('amd64');
  const [pct, setPct] = useState<number | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!file) return;
    setOutcome(null);
    setPct(0);
    try {
      const r = await send(file, new URLSearchParams({ name, arch }), setPct);
      if (r.status === 201 && r.body.template) {
        setOutcome({ ok: true, text: `${r.body.template.name} (${r.body.template.os} ${r.body.template.version}) uploaded` });
        onDone();
      } else setOutcome({ ok: false, text: r.body.error?.message ?? `upload failed (HTTP ${r.status})` });
    } catch (err) {
      setOutcome({ ok: false, text: (err as Error).message });
    } finally {
      setPct(null);
    }
  }

  return (
    <form onSubmit={submit} className="grid gap-3 sm:grid-cols-4 sm:items-end" data-testid="template-upload">
      <Field label="Name" value={name} onChange={(e) => setName(e.target.value)} placeholder="alpine-3.20" required pattern="[a-z0-9][a-z0-9._\-]{0,63}" />
      <Field label="Arch" value={arch} onChange={(e) => setArch(e.target.value)} required />
      <Field label="Root filesystem (.tar, .tar.gz, .tar.xz, .tar.zst)" type="file" accept=".tar,.gz,.tgz,.xz,.txz,.zst" onChange={(e) => setFile(e.target.files?.[0] ?? null)} required />
      <Button type="submit" disabled={!file || pct !== null}>{pct === null ? 'Upload' : `Uploading ${pct}%`}</Button>
      {outcome && <Alert tone={outcome.ok ? 'success' : 'error'} className="sm:col-span-4" data-testid="template-upload-result">{outcome.text}</Alert>}
    </form>
  );
}
