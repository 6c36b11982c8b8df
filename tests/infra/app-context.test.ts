import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The CDK app as `cdk synth` runs it, with the context the CLI would hand over. */
const runApp = (context: Record<string, unknown>) =>
  new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', 'infra/app.ts'],
      {
        cwd: root,
        env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'cdk-ctx-')) },
        timeout: 60_000,
      },
      (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }),
    );
  });

describe('a bad CDK context value', () => {
  it.each([
    [{ signingKeySpec: 'RSA_4096' }, 'error: context "signingKeySpec": expected one of RSA_2048, ECC_NIST_P256, got "RSA_4096"\n'],
    [{ domainName: 'auth.example.com' }, 'error: context "domainName" and "certificateArn" go together: set both or neither\n'],
  ])('%j stops the app with one line and no stack trace', async (context, line) => {
    const { code, stderr } = await runApp(context);
    expect(code).toBe(1);
    expect(stderr).toBe(line);
  }, 60_000);
});

describe('cdk.json', () => {
  it('sets every feature flag this aws-cdk-lib recommends (so synth reports none unconfigured)', async () => {
    const { readFileSync } = await import('node:fs');
    const { createRequire } = await import('node:module');
    const recommendedFile = createRequire(import.meta.url).resolve('aws-cdk-lib/recommended-feature-flags.json');
    const recommended = JSON.parse(readFileSync(recommendedFile, 'utf8')) as Record<string, unknown>;
    const { context } = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
    // After an aws-cdk-lib upgrade: add the new flags, synthesize, and note what changed in docs/deploy.md.
    expect(context).toMatchObject(recommended);
  });
});
