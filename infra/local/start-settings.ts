import { isIP } from 'node:net';
import { resolve } from 'node:path';

/**
 * The environment variables of `npm start` (the README's table), checked in one place. A
 * misspelt value (`SIGNING_ALG=es256`, `PAYLOAD_VERSION=3`) must stop the start with one line
 * naming the variable and what it accepts, never quietly fall back to the default.
 */
export interface StartSettings {
  port: number;
  bindHost: string;
  /** Set when BIND_HOST reaches beyond this machine; `npm start` prints it as a warning. */
  bindWarning: string | undefined;
  tenantFile: string | undefined;
  persistDir: string | undefined;
  payloadVersion: '1.0' | '2.0';
  signingAlg: 'RS256' | 'ES256';
  freeEmulatorPorts: boolean;
  /** undefined: a free port (EMULATOR_PORTS=free). An explicit DYNAMODB_PORT/KMS_PORT always wins. */
  dynamoPort: number | undefined;
  kmsPort: number | undefined;
  /** FUNCTION_CONCURRENCY: containers per function at most (undefined: the stack's default, 100). */
  functionConcurrency: number | undefined;
}

/** Where `npm start` puts DynamoDB Local and the KMS endpoint; infra/sam-env.json names them. */
export const DEFAULT_DYNAMODB_PORT = 8000;
export const DEFAULT_KMS_PORT = 8001;

export class StartSettingError extends Error {
  override readonly name = 'StartSettingError';
}

const got = (value: string) => ` (got ${JSON.stringify(value)})`;

const present = (env: NodeJS.ProcessEnv, name: string): string | undefined => {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
};

const oneOf = <T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], fallback: T): T => {
  const value = present(env, name);
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new StartSettingError(`${name} must be ${allowed.join(' or ')}${got(value)}`);
};

const port = (env: NodeJS.ProcessEnv, name: string, min: number): number | undefined => {
  const value = present(env, name);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < min || parsed > 65535) {
    throw new StartSettingError(`${name} must be a port number from ${min} to 65535${min === 0 ? ' (0: a free port)' : ''}${got(value)}`);
  }
  return parsed;
};

/** 127.0.0.0/8 and ::1: reachable from this machine only. */
export const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));

const bindHost = (env: NodeJS.ProcessEnv): string => {
  const value = present(env, 'BIND_HOST') ?? '127.0.0.1';
  if (value !== 'localhost' && isIP(value) === 0) {
    throw new StartSettingError(`BIND_HOST must be an IP address of this machine, e.g. 127.0.0.1 or 0.0.0.0${got(value)}`);
  }
  return value;
};

const positiveInteger = (env: NodeJS.ProcessEnv, name: string): number | undefined => {
  const value = present(env, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new StartSettingError(`${name} must be a positive integer${got(value)}`);
  return Number(value);
};

const OFF = ['0', 'false'];
const DEFAULT_FOLDER = ['1', 'true'];

export const readStartSettings = (env: NodeJS.ProcessEnv, root: string): StartSettings => {
  const host = bindHost(env);
  const persist = present(env, 'PERSIST');
  const emulatorPorts = present(env, 'EMULATOR_PORTS');
  if (emulatorPorts !== undefined && emulatorPorts !== 'free') {
    throw new StartSettingError(`EMULATOR_PORTS must be free or unset${got(emulatorPorts)}`);
  }
  const tenantFile = present(env, 'TENANT_FILE');
  return {
    port: port(env, 'PORT', 0) ?? 3000,
    bindHost: host,
    bindWarning: isLoopback(host)
      ? undefined
      : `BIND_HOST=${host}: the API, the KMS endpoint (which signs for anyone who asks) and the provider emulators are reachable from other machines on this network; use it only on a network you trust (e.g. for sam local)`,
    tenantFile: tenantFile === undefined ? undefined : resolve(tenantFile),
    persistDir:
      persist === undefined || OFF.includes(persist)
        ? undefined
        : resolve(root, DEFAULT_FOLDER.includes(persist) ? '.local-data' : persist),
    payloadVersion: oneOf(env, 'PAYLOAD_VERSION', ['2.0', '1.0'], '2.0'),
    signingAlg: oneOf(env, 'SIGNING_ALG', ['RS256', 'ES256'], 'RS256'),
    freeEmulatorPorts: emulatorPorts === 'free',
    dynamoPort: port(env, 'DYNAMODB_PORT', 1) ?? (emulatorPorts === 'free' ? undefined : DEFAULT_DYNAMODB_PORT),
    kmsPort: port(env, 'KMS_PORT', 1) ?? (emulatorPorts === 'free' ? undefined : DEFAULT_KMS_PORT),
    functionConcurrency: positiveInteger(env, 'FUNCTION_CONCURRENCY'),
  };
};
