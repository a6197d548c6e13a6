// The way in from OpenVZ in the browser: add an OpenVZ host (a real sshd on 127.0.0.x with a
// synthetic OpenVZ 6 layout) after confirming its host key, list its VEs, read the dry run, import
// one and see the task finish with the VE running on the local node.
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { test, expect, admin, login, visit, call, createOwnPool } from './fixtures';
import { startTestSshd, type TestSshd } from '../test/fixtures/sshd';
import { createTestAccount, type TestAccount } from '../test/fixtures/accounts';

const vzroot = () => path.join(process.env.VZ_E2E_LOG_DIR ?? '', 'vz');


test('an admin adds an OpenVZ host, reads the dry run and imports a VE', async ({ page }) => {
  test.setTimeout(300_000);
  const id = randomBytes(3).toString('hex');
  const dir = mkdtempSync('/tmp/vz-e2e-ovz-');
  let sshd: TestSshd | undefined;
  let account: TestAccount | undefined;
  let veId: string | undefined;
  const ctid = 7800 + (parseInt(id, 16) % 100);
  try {
    await login(page, admin().email, admin().password);
    await expect(page).toHaveURL(/\/admin$/);
    const req = page.request;
    const nodes = await call<Array<{ id: string; name: string }>>(req, 'nodes.list', undefined, false);
    const node = nodes.find((n) => n.name === 'local') ?? nodes[0];
    const plan = await call<{ id: string; name: string }>(req, 'plans.create', { name: `import-${id}`, ram: 128, diskspace: 256 });
    const { octet } = await createOwnPool(req, `import-${id}`, [node.id], id);

    // The OpenVZ host: its conf folder and a simfs tree, served by sshd to a uid-0 account with /bin/sh.
    const priv = path.join(dir, 'private', String(ctid));
    mkdirSync(priv, { recursive: true });
    execFileSync('tar', ['-xzpf', path.join(vzroot(), 'template/cache/busybox.tar.gz'), '--numeric-owner', '-C', priv]);
    mkdirSync(path.join(priv, 'home/bob'), { recursive: true });
    writeFileSync(path.join(priv, 'home/bob/hello'), 'hello from openvz\n');
    chownSync(path.join(priv, 'home/bob/hello'), 1001, 1001);
    mkdirSync(path.join(dir, 'conf'));
    writeFileSync(path.join(dir, 'conf', `${ctid}.conf`), [
      'PHYSPAGES="0:49152"', 'SWAPPAGES="0:0"', 'DISKSPACE="393216:393216"', 'NUMPROC="150:150"', 'KMEMSIZE="14372700:14790164"',
      `VE_PRIVATE="${path.join(dir, 'private')}/$VEID"`, 'OSTEMPLATE="centos-6-x86_64"', `IP_ADDRESS="10.199.${octet}.9"`, `HOSTNAME="ovz-${id}.example.test"`, '',
    ].join('\n'));
    account = await createTestAccount({ root: true, shell: '/bin/sh' });
    sshd = await startTestSshd();

    await visit(page, '/admin/imports');
    await page.getByTestId('source-name').fill(`ovz-${id}`);
    await page.getByTestId('source-host').fill(sshd.host);
    await page.getByTestId('source-port').fill(String(sshd.port));
    await page.getByTestId('source-user').fill(account.name);
    await page.getByTestId('source-confdir').fill(path.join(dir, 'conf'));
    await page.getByTestId('source-read-key').click();
    await expect(page.getByTestId('source-fingerprint')).toHaveText(sshd.hostKeyFingerprint);
    // What the admin does on the OpenVZ host: install the panel's import key.
    sshd.setAuthorizedKeys([(await page.getByTestId('source-import-key').textContent())!.trim()]);
    await page.getByTestId('source-trust').click();
    await expect(page.getByTestId(`source-ovz-${id}`)).toBeVisible();

    await page.getByTestId('import-source').selectOption({ label: `ovz-${id}` });
    await page.getByTestId('import-node').selectOption({ label: node.name });
    await page.getByTestId('import-plan').selectOption({ label: plan.name });
    const row = page.getByTestId(`import-ve-${ctid}`);
    await expect(row).toContainText(`ovz-${id}.example.test`, { timeout: 60_000 });
    await row.getByTestId('import-dry-run').click();
    const result = page.getByTestId('import-plan-result');
    await expect(result).toContainText('ram 192 (from OpenVZ)', { timeout: 60_000 });
    await expect(page.getByTestId('import-not-carried')).toContainText('KMEMSIZE');
    await page.getByTestId('import-run').click();
    await expect(page.getByTestId('task')).toHaveAttribute('data-status', 'succeeded', { timeout: 180_000 });
    const ve = (await call<{ items: Array<{ id: string; ctid: number; state: string }> }>(req, 'ves.list', { q: String(ctid) }, false)).items.find((v) => v.ctid === ctid)!;
    veId = ve.id;
    expect(ve.state).toBe('running');
    expect(execFileSync(path.resolve(import.meta.dirname, '../agents/bin/vzctl'), ['--vzroot', vzroot(), 'exec', String(ctid), 'cat', '/home/bob/hello'], { encoding: 'utf8' })).toBe('hello from openvz\n');
  } finally {
    if (veId) await page.request.post('/api/trpc/ves.destroy', { data: { id: veId, confirm: String(ctid) } }).catch(() => undefined);
    await sshd?.destroy();
    await account?.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});
