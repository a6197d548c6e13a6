// Builds the debian-12 template once per test run (debootstrap from the machine's Debian mirror),
// so the Debian tests share one build: `tsx scripts/build-debian-template.ts <outDir>`.
import { buildDebianTemplate } from '@/agents/src/templates/debian';

const out = process.argv[2];
if (!out) throw new Error('usage: build-debian-template.ts <outDir>');
const t = await buildDebianTemplate(out);
console.log(`built ${t.tarball} (${t.manifest.sizeBytes} bytes)`);
