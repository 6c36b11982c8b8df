import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HANDLER_ENTRIES } from '../../infra/bundling.js';
import { BUNDLE_BUDGET_BYTES, CREDENTIAL_CHAIN_PACKAGES, bundleEntry, bundleHandlers, type BundleFigures } from '../bench/bundle.js';

/**
 * What the deployable bundles carry, read from esbuild's metafile with the stack's own
 * options (infra/bundling.ts): every function infra/bundling.ts defines, so a new one is
 * checked without touching this file.
 */
const outDir = mkdtempSync(path.join(tmpdir(), 'bundle-contents-'));
let bundles: Record<string, BundleFigures>;

beforeAll(async () => {
  bundles = await bundleHandlers(outDir);
}, 120_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('Lambda bundles', () => {
  it.each(Object.keys(HANDLER_ENTRIES))('%s carries no emulator, test, tooling or local-only code', (name) => {
    expect(bundles[name]!.forbidden).toEqual([]);
  });

  it.each(Object.keys(HANDLER_ENTRIES))('%s carries none of the default credential chain (STS, SSO, INI, process, metadata)', (name) => {
    expect(bundles[name]!.credentialChain).toEqual([]);
  });

  it.each(Object.entries(BUNDLE_BUDGET_BYTES).filter(([name]) => name in HANDLER_ENTRIES))('%s stays within %d minified bytes', (name, budget) => {
    expect(bundles[name]!.minifiedBytes).toBeLessThanOrEqual(budget);
  });

  it('would notice the chain: the same SDK clients bundled without the alias carry it', async () => {
    const plain = await bundleEntry('plain-sdk', 'tests/bench/fixtures/sdk-clients-handler.ts', outDir, { kind: 'reference', aliases: false });
    expect(plain.credentialChain).toEqual(expect.arrayContaining(['@aws-sdk/credential-provider-node', '@aws-sdk/credential-provider-sso', '@aws-sdk/credential-provider-ini', '@aws-sdk/credential-provider-process', '@aws-sdk/nested-clients']));
    expect(CREDENTIAL_CHAIN_PACKAGES).toEqual(expect.arrayContaining(plain.credentialChain));
  }, 60_000);

  it('the token bundle signs its SDK calls with the credentials Lambda puts in the environment', async () => {
    // The token function asks KMS for its public key when it starts: catch that request.
    const seen: IncomingHttpHeaders[] = [];
    const kms = createServer((request, response) => {
      seen.push(request.headers);
      request.resume();
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' }).end('{"__type":"NotFoundException","message":"no key"}');
    });
    kms.listen(0, '127.0.0.1');
    await once(kms, 'listening');
    try {
      const { port } = kms.address() as AddressInfo;
      const script = `
        const { handler } = await import(${JSON.stringify(pathToFileURL(bundles.token!.file).href)});
        const answer = await handler({ version: '2.0', rawPath: '/oauth/access_token', headers: {}, body: '', isBase64Encoded: false, requestContext: { http: { method: 'POST', path: '/oauth/access_token' } } });
        console.log('@@status', answer.statusCode);
        await new Promise((resolve) => setTimeout(resolve, 1500));
        process.exit(0);`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        env: {
          PATH: process.env.PATH,
          TABLE_NAME: 'bundle-test',
          SIGNING_KEY_ID: 'alias/bundle-test',
          ISSUER: 'https://auth.example.com/',
          AWS_REGION: 'eu-west-1',
          AWS_ACCESS_KEY_ID: 'ASIABUNDLETEST',
          AWS_SECRET_ACCESS_KEY: 'bundle-test-secret',
          AWS_SESSION_TOKEN: 'bundle-test-session',
          AWS_ENDPOINT_URL_KMS: `http://127.0.0.1:${port}`,
          AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port}`,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          // No file-based profile can stand in for the environment's credentials.
          AWS_CONFIG_FILE: path.join(outDir, 'absent-config'),
          AWS_SHARED_CREDENTIALS_FILE: path.join(outDir, 'absent-credentials'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      const [code] = (await once(child, 'close')) as [number];
      expect(code).toBe(0);
      expect(stdout).toContain('@@status 400');
      expect(seen.length).toBeGreaterThan(0);
      expect(seen[0]!['x-amz-target']).toBe('TrentService.GetPublicKey');
      expect(seen[0]!.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIABUNDLETEST\/\d{8}\/eu-west-1\/kms\/aws4_request,/);
      expect(seen[0]!['x-amz-security-token']).toBe('bundle-test-session');
    } finally {
      kms.close();
    }
  }, 60_000);
});
