// Copies the pinned swagger-ui-dist assets into public/swagger-ui/ so /api-docs loads nothing from outside.
// sourceMappingURL comments are dropped: the .map files are not shipped, and browsers would ask for them.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const src = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const dest = new URL('../public/swagger-ui/', import.meta.url).pathname;
mkdirSync(dest, { recursive: true });
for (const f of ['swagger-ui-bundle.js', 'swagger-ui.css']) {
  const text = readFileSync(path.join(src, f), 'utf8').replace(/\n?\/[/*]# sourceMappingURL=\S+?(\*\/)?\s*$/, '\n');
  writeFileSync(path.join(dest, f), text);
}
copyFileSync(path.join(src, 'LICENSE'), path.join(dest, 'LICENSE'));
console.log(`swagger-ui assets copied to ${dest}`);
