// Shared e2e bits: the running panel's URL and admin login (from global-setup) and a login helper.
import { test as base, expect, type APIRequestContext, type Page } from '@playwright/test';

export const admin = () => ({
  email: process.env.VZ_E2E_ADMIN_EMAIL ?? '',
  password: process.env.VZ_E2E_ADMIN_PASSWORD ?? '',
});

export const test = base.extend({
  // eslint-disable-next-line no-empty-pattern -- Playwright fixtures must destructure
  baseURL: async ({}, use) => use(process.env.VZ_E2E_BASE_URL),
});

export { expect };

/**
 * page.goto that survives Chromium's ERR_NETWORK_CHANGED: it aborts a navigation when a VE's veth
 * (any process's, on this host) appears. The navigation is simply made again.
 */
export async function visit(page: Page, url: string) {
  for (let i = 0; ; i++) {
    try {
      return await page.goto(url);
    } catch (e) {
      if (i >= 4 || !/ERR_NETWORK_CHANGED/.test(String(e))) throw e;
      await page.waitForTimeout(500);
    }
  }
}

export async function login(page: Page, email: string, password: string) {
  await visit(page, '/login');
  // Chromium aborts in-flight requests with ERR_NETWORK_CHANGED when a VE's veth appears on the
  // host; a lost script chunk leaves the form unrendered. Load the page again in that case.
  const shown = () => page.getByLabel('Email').waitFor({ state: 'visible', timeout: 15_000 }).then(() => true, () => false);
  for (let i = 0; i < 3 && !(await shown()); i++) await page.reload();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** 10.199.X octets specs use as they are: nodes 125, people 96, quota 71, usage 123, ve-page 126. */
const FIXED_SPEC_OCTETS = [71, 96, 123, 125, 126];

/**
 * An octet X for a spec's own 10.199.X.0/28 (X in 100-249, starting where its hex `seed` points) that no
 * pool of this panel covers yet. Specs that each drew one at random met in the one panel of a run now and
 * then, and the second pool create was refused ("10.199.205.1 already belongs to pool import-…").
 */
export async function freeOctet(req: APIRequestContext, seed: string): Promise<number> {
  const pools = await call<Array<{ cidr: string }>>(req, 'ipPools.list', undefined, false);
  // and never an octet a spec names outright, even before that spec has made its pool
  const held = new Set<number>(FIXED_SPEC_OCTETS);
  for (const { cidr } of pools) {
    const m = /^10\.199\.(\d+)\.\d+\/(\d+)$/.exec(cidr);
    if (!m) continue;
    const prefix = Number(m[2]);
    const span = prefix >= 24 ? 1 : 2 ** (24 - prefix);
    const first = Number(m[1]) - (Number(m[1]) % span);
    for (let o = first; o < first + span; o++) held.add(o);
  }
  for (let i = 0; i < 150; i++) {
    const octet = 100 + ((parseInt(seed, 16) + i) % 150);
    if (!held.has(octet)) return octet;
  }
  throw new Error('no free 10.199.x.0/28 left for a pool');
}

/** The spec's own /28 pool (see freeOctet) on `nodeIds`. */
export async function createOwnPool(req: APIRequestContext, name: string, nodeIds: string[], seed: string): Promise<{ octet: number }> {
  const octet = await freeOctet(req, seed);
  await call(req, 'ipPools.create', { name, cidr: `10.199.${octet}.0/28`, gateway: `10.199.${octet}.1`, nameservers: [], nodeIds });
  return { octet };
}

/** One tRPC procedure through the page's session (POST for a mutation, GET for a query); fails the test on an error. */
export async function call<T>(req: APIRequestContext, proc: string, input: unknown, mutation = true): Promise<T> {
  const res = mutation
    ? await req.post(`/api/trpc/${proc}`, { data: input })
    : await req.get(`/api/trpc/${proc}?input=${encodeURIComponent(JSON.stringify(input))}`);
  expect(res.ok(), `${proc}: ${await res.text()}`).toBe(true);
  return ((await res.json()) as { result: { data: T } }).result.data;
}
