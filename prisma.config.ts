// Prisma 7 reads the datasource URL from here. Only `prisma generate` uses this file (migrations run
// through prisma/tools/engine.ts), so a placeholder URL keeps generate working without DATABASE_URL.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/vzpanel' },
});
