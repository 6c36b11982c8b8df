import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACEBOOK_TEST_TOKENS } from '../../infra/local/emulators/facebook.js';
import { buildLocalTenant } from '../../infra/local/local-tenant.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { startTestStack } from '../support/stack.js';

/**
 * DESIGN section 12 in a real browser: a page served from an allowed origin signs in through
 * the local stack (preflight, JSON POST, then /userinfo with a bearer header); the same page
 * from a foreign origin is stopped by Chromium's own CORS checks.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A page whose only job is to be loaded from an origin; the test runs fetch() inside it. */
const startPageServer = async (): Promise<{ origin: string; server: Server }> => {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>sign-in test page</title><p>ready</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
};

let stack: LocalStack;
let allowed: { origin: string; server: Server };
let foreign: { origin: string; server: Server };
let context: BrowserContext;
let profileDir: string;

beforeAll(async () => {
  [allowed, foreign] = await Promise.all([startPageServer(), startPageServer()]);
  stack = await startTestStack({
    tenant: (endpoints) => {
      const base = buildLocalTenant(endpoints);
      return { ...base, clients: base.clients.map((client) => (client.client_id === 'my-app' ? { ...client, allowed_origins: [allowed.origin] } : client)) };
    },
  });
  profileDir = await mkdtemp(join(tmpdir(), 'chromium-profile-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

afterAll(async () => {
  await context?.close();
  await stack?.stop();
  for (const page of [allowed, foreign]) await new Promise((resolve) => page?.server.close(resolve));
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
});

interface PageOutcome {
  ok: boolean;
  status?: number;
  body?: Record<string, unknown>;
  error?: string;
}

/** Signs in from a page of `origin`, and on success reads /userinfo with the access token. */
const signInFrom = async (origin: string) => {
  const page = await context.newPage();
  try {
    await page.goto(`${origin}/`);
    return await page.evaluate(
      async ({ api, token }) => {
        const call = async (url: string, init: RequestInit) => {
          try {
            const response = await fetch(url, init);
            return { ok: true, status: response.status, body: (await response.json()) as Record<string, unknown> };
          } catch (error) {
            return { ok: false, error: String(error) };
          }
        };
        const signIn: PageOutcome = await call(`${api}/oauth/access_token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ client_id: 'my-app', connection: 'facebook', access_token: token, scope: 'openid profile' }),
        });
        const accessToken = signIn.body?.access_token;
        const userinfo: PageOutcome | undefined =
          typeof accessToken === 'string' ? await call(`${api}/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } }) : undefined;
        return { signIn, userinfo };
      },
      { api: stack.url, token: FACEBOOK_TEST_TOKENS.alice },
    );
  } finally {
    await page.close();
  }
};

describe('a page in headless Chromium', () => {
  it('signs in from an allowed origin and reads /userinfo', async () => {
    const { signIn, userinfo } = await signInFrom(allowed.origin);
    expect(signIn).toMatchObject({ ok: true, status: 200, body: { token_type: 'Bearer', id_token: expect.any(String) } });
    expect(userinfo).toMatchObject({ ok: true, status: 200, body: { sub: expect.stringMatching(/^facebook\|/), name: 'Alice Liddell' } });
  });

  it('is blocked by CORS from a foreign origin, without the exchange ever running', async () => {
    const graphCalls = stack.emulators.facebook.calls.length;
    const { signIn, userinfo } = await signInFrom(foreign.origin);
    expect(signIn.ok).toBe(false);
    expect(signIn.error).toMatch(/TypeError/);
    expect(userinfo).toBeUndefined();
    // The preflight failed, so the browser never sent the POST: no provider call was made.
    expect(stack.emulators.facebook.calls.length).toBe(graphCalls);
  });
});
