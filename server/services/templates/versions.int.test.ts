import { createReadStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { adminCaller } from '@/test/fixtures/panel';
import { minimalRoot, writeTar } from '@/test/fixtures/rootfs-tar';
import { uploadTemplate } from './upload/store';
import { recordTemplateOnNode } from './index';

let db: TestDatabase;
const work = mkdtempSync(path.join(tmpdir(), 'tc-versions-'));
const dir = path.join(work, 'store');
const limits = { maxUploadBytes: 1 << 26, maxUnpackedBytes: 1 << 26, maxEntries: 1000 };

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
  rmSync(work, { recursive: true, force: true });
});

const upload = (release: string) =>
  uploadTemplate(db.prisma, createReadStream(writeTar(path.join(work, `r${release}.tar.gz`), minimalRoot(`ID=tinyos\nVERSION_ID=${release}\n`))), { name: 'tiny' }, { dir, limits });

describe('template versions', () => {
  it('a re-upload is a new version for new VEs; a VE keeps its own; prune removes only unused old versions', async () => {
    const v1 = await upload('1.0');
    expect(v1.version).toMatchObject({ number: 1, cacheName: 'tiny', osVersion: '1.0' });
    const node = await db.prisma.node.create({ data: { name: 'tc-n1', address: '127.0.72.1' } });
    // A VE installed from version 1.
    const ve = await db.prisma.ve.create({ data: { ctid: 72_001, hostname: 'tc1.test', nodeId: node.id, templateId: v1.template.id, templateVersion: 1, state: 'running', limits: {} } });

    const v2 = await upload('2.0');
    expect(v2.version).toMatchObject({ number: 2, cacheName: 'tiny.v2', osVersion: '2.0' });
    expect(v2.template).toMatchObject({ id: v1.template.id, version: '2.0', sha256: v2.version.sha256 });
    expect(await db.prisma.ve.findUniqueOrThrow({ where: { id: ve.id } })).toMatchObject({ templateVersion: 1 });

    const admin = await adminCaller(db.prisma);
    expect((await admin.templates.versions({ id: v1.template.id })).map((v) => [v.number, v.ves, v.newest])).toEqual([[2, 0, true], [1, 1, false]]);
    // Version 1 runs a VE, version 2 is the newest: nothing to prune.
    expect(await admin.templates.prune({ id: v1.template.id })).toEqual({ removed: [] });

    const v3 = await upload('3.0');
    expect(v3.version.number).toBe(3);
    expect(await admin.templates.prune({ id: v1.template.id })).toEqual({ removed: [2] });
    expect(existsSync(v2.version.storagePath!)).toBe(false);
    expect(existsSync(v1.version.storagePath!)).toBe(true);

    await db.prisma.ve.delete({ where: { id: ve.id } });
    expect(await admin.templates.prune({ id: v1.template.id })).toEqual({ removed: [1] });
    expect((await admin.templates.versions({ id: v1.template.id })).map((v) => v.number)).toEqual([3]);
    expect(existsSync(v3.version.storagePath!)).toBe(true);
  });

  it('a node reporting its cache: a new name is a template at version 1; a version key marks that version ready; an unknown version key is no template', async () => {
    const node = await db.prisma.node.create({ data: { name: 'tc-n2', address: '127.0.72.2' } });
    const m = { os: 'busybox', version: '1.36', arch: 'amd64', sizeBytes: 10, sha256: 'a'.repeat(64) };
    const t = await recordTemplateOnNode(db.prisma, node.id, { ...m, name: 'tc-bb' });
    expect(await db.prisma.templateVersion.findMany({ where: { templateId: t!.id } })).toEqual([expect.objectContaining({ number: 1, cacheName: 'tc-bb', source: 'node' })]);
    expect(await db.prisma.templateCache.findFirst({ where: { templateId: t!.id, nodeId: node.id } })).toMatchObject({ state: 'ready' });

    // The tiny template's newest version (3, from the test above) is cached as tiny.v3.
    const tiny = await db.prisma.template.findUniqueOrThrow({ where: { name: 'tiny' } });
    await recordTemplateOnNode(db.prisma, node.id, { ...m, name: 'tiny' });
    expect(await db.prisma.templateCache.findFirst({ where: { templateId: tiny.id, nodeId: node.id } })).toMatchObject({ state: 'pending' });
    await recordTemplateOnNode(db.prisma, node.id, { ...m, name: 'tiny.v3' });
    expect(await db.prisma.templateCache.findFirst({ where: { templateId: tiny.id, nodeId: node.id } })).toMatchObject({ state: 'ready' });
    // The node's report does not overwrite what the panel recorded for the newest version.
    expect(await db.prisma.template.findUniqueOrThrow({ where: { name: 'tiny' } })).toMatchObject({ version: '3.0', sha256: tiny.sha256 });

    expect(await recordTemplateOnNode(db.prisma, node.id, { ...m, name: 'nope.v3' })).toBeNull();
    expect(await db.prisma.template.findUnique({ where: { name: 'nope.v3' } })).toBeNull();
  });
});
