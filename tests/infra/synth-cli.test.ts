import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run synth', () => {
  it('synthesizes offline, without AWS credentials, through the real CDK CLI', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'cdk-out-'));
    const env = { ...process.env };
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete env[name];
    // The same command as package.json's "synth", with the output moved out of the work tree.
    await promisify(execFile)('npx', ['cdk', 'synth', '--no-notices', '--quiet', '--output', outdir], {
      cwd: root,
      env: { ...env, AWS_EC2_METADATA_DISABLED: 'true' },
      timeout: 180_000,
    });
    const templateFile = join(outdir, 'SocialTokenExchange.template.json');
    expect(existsSync(templateFile)).toBe(true);
    const template = JSON.parse(readFileSync(templateFile, 'utf8')) as { Resources: Record<string, { Type: string }> };
    const types = Object.values(template.Resources).map((resource) => resource.Type);
    expect(types).toEqual(expect.arrayContaining(['AWS::Lambda::Function', 'AWS::DynamoDB::Table', 'AWS::KMS::Key', 'AWS::ApiGatewayV2::Api']));
  }, 200_000);
});
