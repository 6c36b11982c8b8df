import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTenantJson, TenantFileError } from '../../functions/core/tenant.js';
import { JavaRequirementError, PortInUseError } from './dynamodb-local.js';
import { FACEBOOK_TEST_TOKENS } from './emulators/facebook.js';
import { DEFAULT_EMULATOR_PORTS, emulatorOrigins, followRunningEmulators, type EmulatorEndpoints } from './local-tenant.js';
import { readStartSettings, StartSettingError, type StartSettings } from './start-settings.js';
import { LOCAL_REGION, startLocalStack, type LocalStack } from './stack.js';
import { removeLocalState, writeLocalState } from './state-file.js';

/**
 * `npm start`: the whole service on 127.0.0.1 (or BIND_HOST) until Ctrl-C. The variables and what they accept
 * are in start-settings.ts (and the README):
 *   PORT (3000), BIND_HOST (127.0.0.1), TENANT_FILE, PERSIST, PAYLOAD_VERSION (2.0 | 1.0),
 *   SIGNING_ALG (RS256 | ES256), DYNAMODB_PORT (8000), KMS_PORT (8001), EMULATOR_PORTS (free),
 *   FUNCTION_CONCURRENCY (100: containers per function at most, like a reserved concurrency;
 *   a burst beyond it is answered 429, infra/local/api-gateway/containers.ts).
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

const readSettings = (): StartSettings => {
  try {
    return readStartSettings(process.env, root);
  } catch (error) {
    if (error instanceof StartSettingError) return fail(error.message);
    throw error;
  }
};

const FREE_PORTS_HINT = 'EMULATOR_PORTS=free puts the emulators, DynamoDB Local and the KMS endpoint on free ports';

/** Names the port, who wanted it and the variable that moves it. */
const portInUseMessage = (port: number | undefined, settings: StartSettings): string => {
  const emulator = Object.entries(DEFAULT_EMULATOR_PORTS).find(([, fixed]) => !settings.freeEmulatorPorts && fixed === port);
  const owner =
    port === undefined
      ? undefined
      : port === settings.port
        ? 'the API; set PORT to another port, or PORT=0 for a free one'
        : port === settings.dynamoPort
          ? `DynamoDB Local; set DYNAMODB_PORT to another port, or ${FREE_PORTS_HINT}`
          : port === settings.kmsPort
            ? `the KMS endpoint; set KMS_PORT to another port, or ${FREE_PORTS_HINT}`
            : emulator
              ? `the ${emulator[0]} emulator; ${FREE_PORTS_HINT}`
              : undefined;
  if (port === undefined || owner === undefined) {
    return `a port is already in use (the API wants ${settings.port}, DynamoDB Local ${settings.dynamoPort ?? 'a free one'}, KMS ${settings.kmsPort ?? 'a free one'}, the emulators ${settings.freeEmulatorPorts ? 'free ones' : Object.values(DEFAULT_EMULATOR_PORTS).join(', ')}): stop the other process, set PORT, DYNAMODB_PORT or KMS_PORT, or use ${FREE_PORTS_HINT}`;
  }
  return `port ${port} is already in use by another process (it is for ${owner}; or stop the other process)`;
};

/**
 * The first of `ports` something else already listens on. Checked before anything starts, so
 * a taken port is reported at once instead of after DynamoDB Local has come up.
 */
const firstBusyPort = async (ports: number[], host: string): Promise<number | undefined> => {
  for (const port of ports) {
    const busy = await new Promise<boolean>((resolveBusy) => {
      const probe = createServer();
      probe.once('error', (error: NodeJS.ErrnoException) => resolveBusy(error.code === 'EADDRINUSE'));
      probe.listen(port, host, () => probe.close(() => resolveBusy(false)));
    });
    if (busy) return port;
  }
  return undefined;
};

const main = async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const settings = readSettings();
  const { port, payloadVersion, signingAlg, persistDir, freeEmulatorPorts } = settings;
  if (settings.bindWarning) process.stderr.write(`npm start: warning: ${settings.bindWarning}\n`);
  const tenantFile = settings.tenantFile ?? DEFAULT_TENANT;
  const tenant = freeEmulatorPorts && !settings.tenantFile ? undefined : readTenant(tenantFile);
  process.env.LOG_LEVEL ??= 'info';

  // A tenant file naming the emulators' default ports follows them to where they run now
  // (EMULATOR_PORTS=free, or a BIND_HOST other than 127.0.0.1).
  let movedConnections: string[] = [];
  const followedTenant = (endpoints: EmulatorEndpoints) => {
    const followed = followRunningEmulators(tenant!, emulatorOrigins(endpoints));
    movedConnections = followed.moved;
    return followed.tenant;
  };

  const fixedPorts = [
    port,
    ...(freeEmulatorPorts ? [] : Object.values(DEFAULT_EMULATOR_PORTS)),
    settings.dynamoPort ?? 0,
    settings.kmsPort ?? 0,
  ].filter((fixed) => fixed > 0);
  const busyPort = await firstBusyPort(fixedPorts, settings.bindHost);
  if (busyPort !== undefined) return fail(portInUseMessage(busyPort, settings));

  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      port,
      host: settings.bindHost,
      payloadVersion,
      signingAlg,
      ...(tenant ? { tenant: followedTenant } : {}),
      entryPoints: 'lambda',
      ...(settings.functionConcurrency !== undefined ? { functionConcurrency: settings.functionConcurrency } : {}),
      emulatorPorts: freeEmulatorPorts ? 'free' : DEFAULT_EMULATOR_PORTS,
      ...(settings.dynamoPort !== undefined ? { dynamoPort: settings.dynamoPort } : {}),
      ...(settings.kmsPort !== undefined ? { kmsPort: settings.kmsPort } : {}),
      ...(persistDir ? { persistDir } : {}),
    });
  } catch (error) {
    if (error instanceof JavaRequirementError) return fail(error.message);
    if (error instanceof PortInUseError) return fail(portInUseMessage(error.port, settings));
    const { code, port: takenPort } = error as NodeJS.ErrnoException & { port?: number };
    if (code === 'EADDRINUSE') return fail(portInUseMessage(takenPort, settings));
    if (code === 'EADDRNOTAVAIL') return fail(`BIND_HOST=${settings.bindHost} is not an address of this machine`);
    return fail(`could not start the local stack: ${(error as Error).message}`);
  }

  let stopping = false;
  writeLocalState({
    pid: process.pid,
    issuer: stack.issuer,
    dynamoEndpoint: stack.dynamoEndpoint,
    kmsEndpoint: stack.kmsEndpoint,
    secretsKeyId: stack.secretsKeyId,
    tableName: stack.tableName,
    region: LOCAL_REGION,
    emulators: Object.fromEntries(Object.entries(stack.emulators).map(([name, emulator]) => [name, emulator.url])),
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
      ...(movedConnections.length > 0 ? [`              endpoints of ${movedConnections.join(', ')} follow the running emulators`] : []),
      `  DynamoDB    ${stack.dynamoEndpoint} (table ${stack.tableName}${persistDir ? `, data in ${persistDir}` : ', in memory'})`,
      `              note: DynamoDB Local listens on every network interface, not only 127.0.0.1 (it has no`,
      `              setting to limit that): other machines can reach port ${new URL(stack.dynamoEndpoint).port} unless a firewall stops them`,
      `  KMS         ${stack.kmsEndpoint} (key ${stack.signingKeyId}, ${stack.signingAlg}; connection secrets under ${stack.secretsKeyId})`,
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

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the local stack...\n`);
    removeLocalState();
    await stack.stop();
    process.exit(0);
  };
  // Without its database every request would answer 503 while the banner says all is well.
  void stack.dynamo?.exited.then(async (how) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(
      `npm start: DynamoDB Local stopped unexpectedly (${how}); stopping the local stack, since every request would fail. Start it again with npm start.\n`,
    );
    removeLocalState();
    await stack.stop();
    process.exit(1);
  });
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
