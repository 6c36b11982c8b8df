import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTenantJson, TenantFileError } from '../../functions/core/tenant.js';
import { JavaRequirementError } from './dynamodb-local.js';
import { FACEBOOK_TEST_TOKENS } from './emulators/facebook.js';
import { DEFAULT_EMULATOR_PORTS } from './local-tenant.js';
import { LOCAL_REGION, startLocalStack, type LocalStack } from './stack.js';
import { removeLocalState, writeLocalState } from './state-file.js';

/**
 * `npm start`: the whole service on 127.0.0.1 until Ctrl-C.
 *   PORT (3000)              the API
 *   TENANT_FILE              tenant to apply (default infra/local/tenant.local.json)
 *   PERSIST=1 | PERSIST=dir  keep data and keys (default folder .local-data/, git-ignored)
 *   PAYLOAD_VERSION=1.0      emulate a REST API (payload 1.0) instead of an HTTP API (2.0)
 *   SIGNING_ALG=ES256        sign with an ECC_NIST_P256 key instead of RSA_2048
 *   DYNAMODB_PORT (8000), KMS_PORT (8001)  where DynamoDB Local and the KMS endpoint listen
 *   EMULATOR_PORTS=free      free ports for the emulators, DynamoDB Local and KMS; the default
 *                            tenant then follows them (a TENANT_FILE keeps its own endpoints)
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const DEFAULT_TENANT = resolve(root, 'infra/local/tenant.local.json');

const fail = (message: string): never => {
  process.stderr.write(`npm start: ${message}\n`);
  process.exit(1);
};

const readTenant = (file: string) => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return fail(`cannot read the tenant file ${file} (set TENANT_FILE to an existing file)`);
  }
  try {
    return parseTenantJson(text);
  } catch (error) {
    if (error instanceof TenantFileError) return fail(`${file}: ${error.message}`);
    throw error;
  }
};

const portFromEnv = (name: string, fallback: number): number => {
  const port = Number(process.env[name] ?? fallback);
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : fail(`${name} must be a port number`);
};

const main = async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('PORT must be a port number');
  const payloadVersion = process.env.PAYLOAD_VERSION === '1.0' ? '1.0' : '2.0';
  const signingAlg = process.env.SIGNING_ALG === 'ES256' ? 'ES256' : 'RS256';
  const persist = process.env.PERSIST;
  const persistDir = persist ? resolve(root, persist === '1' || persist === 'true' ? '.local-data' : persist) : undefined;
  const freeEmulatorPorts = process.env.EMULATOR_PORTS === 'free';
  const tenantFile = resolve(process.env.TENANT_FILE ?? DEFAULT_TENANT);
  const tenant = freeEmulatorPorts && !process.env.TENANT_FILE ? undefined : readTenant(tenantFile);
  process.env.LOG_LEVEL ??= 'info';

  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      port,
      payloadVersion,
      signingAlg,
      ...(tenant ? { tenant } : {}),
      entryPoints: 'lambda',
      emulatorPorts: freeEmulatorPorts ? 'free' : DEFAULT_EMULATOR_PORTS,
      ...(freeEmulatorPorts ? {} : { dynamoPort: portFromEnv('DYNAMODB_PORT', 8000), kmsPort: portFromEnv('KMS_PORT', 8001) }),
      ...(persistDir ? { persistDir } : {}),
    });
  } catch (error) {
    if (error instanceof JavaRequirementError) return fail(error.message);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      return fail(
        `a port is already in use (the API wants ${port}, DynamoDB Local ${process.env.DYNAMODB_PORT ?? 8000}, KMS ${process.env.KMS_PORT ?? 8001}, the emulators ${Object.values(DEFAULT_EMULATOR_PORTS).join(', ')}): stop the other process, or set PORT, DYNAMODB_PORT, KMS_PORT`,
      );
    }
    return fail(`could not start the local stack: ${(error as Error).message}`);
  }

  writeLocalState({
    pid: process.pid,
    issuer: stack.issuer,
    dynamoEndpoint: stack.dynamoEndpoint,
    kmsEndpoint: stack.kmsEndpoint,
    tableName: stack.tableName,
    region: LOCAL_REGION,
  });

  const report = stack.tenantReport;
  const body = JSON.stringify({
    client_id: 'my-app',
    connection: 'facebook',
    access_token: FACEBOOK_TEST_TOKENS.alice,
    scope: 'openid profile email',
  });
  process.stdout.write(
    [
      '',
      'Social token exchange is running locally (Ctrl-C stops everything).',
      '',
      `  issuer      ${stack.issuer}`,
      ...stack.routes.map((route) => {
        const [method, path] = route.split(' ');
        return `  ${method!.padEnd(5)}       ${stack.url}${path}`;
      }),
      '',
      `  tenant      ${tenant ? tenantFile : 'the local example tenant'} (${report.created.length} created, ${report.updated.length} updated, ${report.unchanged.length} unchanged${report.stale.length ? `, not in the file: ${report.stale.join(', ')}` : ''})`,
      `  DynamoDB    ${stack.dynamoEndpoint} (table ${stack.tableName}${persistDir ? `, data in ${persistDir}` : ', in memory'})`,
      `  KMS         ${stack.kmsEndpoint} (key ${stack.signingKeyId}, ${stack.signingAlg})`,
      `  providers   facebook ${stack.emulators.facebook.url}, google ${stack.emulators.google.url}, twitter ${stack.emulators.twitter.url}, weibo ${stack.emulators.weibo.url}, apple ${stack.emulators.apple.url}`,
      '',
      'Try it:',
      `  curl -s -X POST ${stack.url}/oauth/access_token -H 'Content-Type: application/json' -d '${body}'`,
      '',
      'Native sign-in (POST /oauth/token; each emulator mints a test token, see docs/native-sign-in.md):',
      ...nativeSignInCurls(stack.url, stack.emulators),
      '',
    ].join('\n') + '\n',
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the local stack...\n`);
    removeLocalState();
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGHUP', () => void shutdown('SIGHUP'));
};

/** One shell line per provider: mint a token at the emulator, exchange it. */
const nativeSignInCurls = (apiUrl: string, emulators: { google: { url: string }; facebook: { url: string }; apple: { url: string } }): string[] => {
  const exchange = (type: string, connection: string, extra = '') =>
    `curl -s -X POST ${apiUrl}/oauth/token -d grant_type=urn:ietf:params:oauth:grant-type:token-exchange -d client_id=my-app ` +
    `-d subject_token_type=${type} -d connection=${connection} -d "subject_token=$T" -d nonce=n-0S6_WzA2Mj -d 'scope=openid profile email'${extra}`;
  const mint = (url: string, path = '/__emulator/id-token') => `T=$(curl -s '${url}${path}?raw_nonce=n-0S6_WzA2Mj') && `;
  const idToken = 'urn:ietf:params:oauth:token-type:id_token';
  return [
    `  # Google (Android Credential Manager ID token)`,
    `  ${mint(emulators.google.url)}${exchange(idToken, 'google-oauth2')}`,
    `  # Facebook Limited Login (iOS)`,
    `  ${mint(emulators.facebook.url)}${exchange(idToken, 'facebook')}`,
    `  # Sign in with Apple: identity token, then authorization code (first login, with the name)`,
    `  ${mint(emulators.apple.url)}${exchange(idToken, 'apple')}`,
    `  ${mint(emulators.apple.url, '/__emulator/authorization-code')}${exchange('http://auth0.com/oauth/token-type/apple-authz-code', 'apple', ` --data-urlencode 'user_profile={"name":{"firstName":"Ada","lastName":"Lovelace"}}'`)}`,
  ];
};

main().catch((error: unknown) => fail((error as Error).message ?? String(error)));
