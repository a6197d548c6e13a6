import { defineHandler } from '../daemon/types';
import { buildBusyboxTemplate } from '../templates/busybox';
import { importTemplate, listTemplates } from '../templates/cache';
import { buildDebianTemplate } from '../templates/debian';
import path from 'node:path';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';

export const templateList = defineHandler({
  method: 'template.list',
  run: async (_p, ctx) => ({ templates: await listTemplates(ctx.vzroot) }),
});

export const templateImport = defineHandler({
  method: 'template.import',
  mutating: true,
  run: async (p, ctx) => (await importTemplate(ctx.vzroot, p.path, p.manifest)).manifest,
});

export const templateBuild = defineHandler({
  method: 'template.build',
  mutating: true,
  async run(p, ctx) {
    await mkdir(path.join(ctx.vzroot, 'template'), { recursive: true, mode: 0o700 });
    const work = await mkdtemp(path.join(ctx.vzroot, 'template', '.build-'));
    try {
      ctx.progress(5, `building ${p.name}`);
      const t = p.name === 'busybox' ? await buildBusyboxTemplate(work) : await buildDebianTemplate(work);
      ctx.progress(90, 'verifying and caching');
      return (await importTemplate(ctx.vzroot, t.tarball, t.manifest)).manifest;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
});
