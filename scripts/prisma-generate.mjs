// Runs `prisma generate` offline: Prisma only needs the schema engine for migrate, which we do in wasm.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
if (existsSync(new URL('../prisma/schema.prisma', import.meta.url))) {
  execFileSync('npx', ['prisma', 'generate'], {
    stdio: 'inherit',
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? '/bin/true' },
  });
}
