// Bundles the agent entry points into agents/dist/*.js (one self-contained file each, node20, ESM).
// Output goes to a temp dir first and is renamed into place, so a test running the old bundle
// never reads a half-written file.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'agents', 'dist');
const entries = {
  vzagentd: 'agents/src/daemon/main.ts',
  vzagent: 'agents/src/cli/vzagent.ts',
  vzctl: 'agents/src/cli/vzctl.ts',
  vzlist: 'agents/src/cli/vzlist.ts',
  vzspawn: 'agents/src/exec/spawn-helper.ts',
};

// bundled CJS deps (pino) call require(); give the ESM bundle a real one
const banner = "import { createRequire as __vzCreateRequire } from 'node:module'; const require = __vzCreateRequire(import.meta.url);";

const tmp = path.join(dist, `.build-${process.pid}`);
mkdirSync(tmp, { recursive: true });
try {
  for (const [name, rel] of Object.entries(entries)) {
    const file = path.join(root, rel);
    const common = {
      bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: path.join(tmp, `${name}.js`),
      banner: { js: banner }, tsconfig: path.join(root, 'tsconfig.json'), logLevel: 'warning', legalComments: 'none',
    };
    if (existsSync(file)) {
      await build({ ...common, entryPoints: [file] });
    } else {
      // placeholder until the owner of this CLI lands it
      const contents = `process.stderr.write('${name}: not yet implemented\\n'); process.exit(3);`;
      await build({ ...common, stdin: { contents, loader: 'js', resolveDir: root, sourcefile: `${name}-placeholder.js` } });
    }
  }
  for (const f of readdirSync(tmp)) renameSync(path.join(tmp, f), path.join(dist, f));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
