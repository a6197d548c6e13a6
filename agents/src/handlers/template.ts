import { defineHandler } from '../daemon/types';
import { buildBusyboxTemplate } from '../templates/busybox';
import { importTemplate, listTemplates } from '../templates/cache';
import { buildDebianTemplate, hostMirror } from '../templates/debian';
import { listRecipes } from '../templates/recipes';
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
      // Any other name is a Debian recipe: unknown ones and suites the mirror lacks are refused before work.
      const t = p.name === 'busybox' ? await buildBusyboxTemplate(work) : await buildDebianTemplate(work, { name: p.name });
      ctx.progress(90, 'verifying and caching');
      return (await importTemplate(ctx.vzroot, t.tarball, t.manifest)).manifest;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
});

/** busybox (always buildable: the host's busybox-static) and each Debian recipe against the host's mirror. */
export const templateRecipes = defineHandler({
  method: 'template.recipes',
  async run() {
    const mirror = await hostMirror().catch((e: Error) => e);
    const debian = await listRecipes(typeof mirror === 'string' ? mirror : undefined, mirror instanceof Error ? mirror.message : undefined);
    const busybox = { name: 'busybox', os: 'busybox', version: 'host', suite: 'busybox-static', packages: ['busybox-static'], available: true };
    return { mirror: typeof mirror === 'string' ? mirror : null, recipes: [busybox, ...debian] };
  },
});
