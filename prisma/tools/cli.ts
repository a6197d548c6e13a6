// `tsx prisma/tools/cli.ts deploy | create <name> | drift` against DATABASE_URL (npm run db:*).
import { applyMigrations, checkDrift, createMigration, markRolledBack } from './engine';

const USAGE = 'usage: tsx prisma/tools/cli.ts [--dir <prisma folder>] deploy | create <name> | drift [--no-live] | rolled-back <migration>';

async function main(argv: string[]): Promise<number> {
  const dirAt = argv.indexOf('--dir');
  // --dir points at another prisma folder (schema.prisma + migrations/), e.g. a copy in tests.
  const dirs = dirAt >= 0 ? { prismaDir: argv[dirAt + 1] } : {};
  if (dirAt >= 0) argv = argv.filter((_, i) => i !== dirAt && i !== dirAt + 1);
  const [cmd, ...rest] = argv;
  const url = process.env.DATABASE_URL;
  if (!cmd || !['deploy', 'create', 'drift', 'rolled-back'].includes(cmd)) {
    console.error(USAGE);
    return 64;
  }
  if (!url) {
    console.error('DATABASE_URL is not set (create/drift need it only for a temporary shadow database)');
    return 64;
  }
  if (cmd === 'deploy') {
    const { applied } = await applyMigrations(url, dirs);
    console.log(applied.length ? `Applied ${applied.length} migration(s):\n  ${applied.join('\n  ')}` : 'Database is up to date; no migrations applied.');
    return 0;
  }
  if (cmd === 'rolled-back') {
    if (!rest[0]) {
      console.error(USAGE);
      return 64;
    }
    await markRolledBack(url, rest[0], dirs);
    console.log(`Marked ${rest[0]} as rolled back; \`deploy\` will apply it again.`);
    return 0;
  }
  if (cmd === 'create') {
    const name = rest.find((a) => !a.startsWith('-'));
    if (!name) {
      console.error(USAGE);
      return 64;
    }
    const created = await createMigration(url, name, dirs);
    console.log(created ? `Created ${created.dir}/migration.sql` : 'No schema changes; no migration created.');
    return 0;
  }
  const report = await checkDrift(url, { ...dirs, live: !rest.includes('--no-live') });
  if (!report.drift) {
    console.log('No drift: schema.prisma, the migrations and the database agree.');
    return 0;
  }
  if (report.kind === 'migration-missing') {
    console.error('DRIFT: prisma/schema.prisma changed without a migration. Run `npm run db:new-migration -- <name>` and commit it.');
  } else if (report.pendingMigrations?.length) {
    console.error(`DRIFT: the database lacks ${report.pendingMigrations.length} migration(s) (${report.pendingMigrations.join(', ')}). Run \`npm run db:migrate\`.`);
  } else {
    console.error('DRIFT: the database does not match prisma/schema.prisma although all migrations are applied (changed by hand?).');
  }
  // With only pending migrations the SQL is just those migrations again; not worth printing.
  if (!report.pendingMigrations?.length) console.error(`SQL that would bring it in line:\n${report.script}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
