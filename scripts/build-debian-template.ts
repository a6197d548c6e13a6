// Builds the Debian templates once per test run (debootstrap from the machine's Debian mirror), so the
// Debian tests share one build each: `tsx scripts/build-debian-template.ts <outDir> [name...]` (default:
// every recipe, in parallel: most of a build is waiting on the mirror and dpkg's fsyncs). A suite the
// mirror does not serve is skipped with the mirror's answer; any other failure fails the run.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEBIAN_DONE_MARKER } from '@/test/fixtures/debian-build';
import { buildDebianTemplate, hostMirror } from '@/agents/src/templates/debian';
import { DEBIAN_RECIPES, findRecipe, probeSuite } from '@/agents/src/templates/recipes';

const [out, ...names] = process.argv.slice(2);
if (!out) throw new Error('usage: build-debian-template.ts <outDir> [name...]');
const recipes = names.length ? names.map(findRecipe) : DEBIAN_RECIPES;
const mirror = await hostMirror();
const results = await Promise.all(recipes.map(async (r) => {
  const served = await probeSuite(mirror, r.suite);
  if (!served.served) return `${r.name}: skipped, the mirror does not serve ${r.suite} (${served.reason})`;
  const t0 = Date.now();
  try {
    const t = await buildDebianTemplate(out, { name: r.name, mirror });
    return `${r.name}: built ${t.tarball} (${t.manifest.sizeBytes} bytes) in ${Math.round((Date.now() - t0) / 1000)} s`;
  } catch (e) {
    process.exitCode = 1;
    return `${r.name}: FAILED after ${Math.round((Date.now() - t0) / 1000)} s: ${(e as Error).message}`;
  }
}));
for (const line of results) console.log(line);
// The tests waiting on this build (test/fixtures/debian-build.ts) start once the marker is there.
writeFileSync(path.join(out, DEBIAN_DONE_MARKER), results.join('\n') + '\n');
