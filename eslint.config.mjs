import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const layerRules = (layers) =>
  layers.map(({ files, message, patterns, allowTypeImports = false }) => ({
    files,
    ignores: ['**/*.test.ts', '**/*.test.tsx'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: patterns, message, allowTypeImports }] }] },
  }));

export default tseslint.config(
  { ignores: ['node_modules/**', '.next/**', 'agents/dist/**', 'server/db/generated/**', 'public/**', 'var/**', 'test-results/**', 'playwright-report/**', 'next-env.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: "CallExpression[callee.name='execSync']", message: 'Use execFile/spawn with argument arrays.' }],
    },
  },
  // Layer boundaries (../shared/whiteboard.json): each folder may reach only the layers below it.
  // Tests wire layers together on purpose and are exempt.
  ...layerRules([
    { files: ['app/**'], message: 'app/ sees only types from the server (use `import type`); data goes through tRPC', patterns: ['@/server/*', '@/agents/*', '**/server/**', '**/agents/**'], allowTypeImports: true },
    { files: ['server/services/**'], message: 'services/ sit below the API, the task runners and the node transport', patterns: ['@/server/api/*', '@/server/operations/*', '@/server/http/*', '@/server/nodes/*', 'ssh2', 'next', 'next/*', '@trpc/*'] },
    { files: ['server/operations/**', 'server/nodes/**'], message: 'operations/ and nodes/ never reach up into the API or HTTP layer', patterns: ['@/server/api/*', '@/server/http/*'] },
    { files: ['server/nodes/**'], message: 'nodes/ is the transport: it knows no services or task runners', patterns: ['@/server/services/*', '@/server/operations/*'] },
    { files: ['agents/protocol/**'], message: 'agents/protocol imports zod only (wire types shared by the panel and the agent)', patterns: ['@/*', '../../*', 'node:*', '!zod'] },
    { files: ['agents/src/**'], message: 'the agent is independent of the panel', patterns: ['@/server/*', '**/server/**'] },
  ]),
  { files: ['**/*.mjs', '**/*.cjs'], languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } } },
);
