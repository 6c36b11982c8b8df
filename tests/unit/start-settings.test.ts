import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { isLoopback, readStartSettings, StartSettingError } from '../../infra/local/start-settings.js';

const root = '/project';
const read = (env: Record<string, string>) => readStartSettings(env, root);
const refusal = (env: Record<string, string>): string => {
  try {
    read(env);
  } catch (error) {
    if (error instanceof StartSettingError) return error.message;
    throw error;
  }
  throw new Error('expected the settings to be refused');
};

describe('npm start settings', () => {
  it('defaults to the documented values', () => {
    expect(read({})).toEqual({
      port: 3000,
      bindHost: '127.0.0.1',
      bindWarning: undefined,
      tenantFile: undefined,
      persistDir: undefined,
      payloadVersion: '2.0',
      signingAlg: 'RS256',
      freeEmulatorPorts: false,
      dynamoPort: 8000,
      kmsPort: 8001,
    });
  });

  it('reads every documented value', () => {
    expect(
      read({ PORT: '0', PAYLOAD_VERSION: '1.0', SIGNING_ALG: 'ES256', EMULATOR_PORTS: 'free', PERSIST: '1', TENANT_FILE: 't.json' }),
    ).toMatchObject({
      port: 0,
      payloadVersion: '1.0',
      signingAlg: 'ES256',
      freeEmulatorPorts: true,
      dynamoPort: undefined,
      kmsPort: undefined,
      persistDir: resolve(root, '.local-data'),
      tenantFile: resolve('t.json'),
    });
    expect(read({ PERSIST: 'true' }).persistDir).toBe(resolve(root, '.local-data'));
    expect(read({ PERSIST: 'data/dev' }).persistDir).toBe(resolve(root, 'data/dev'));
    expect(read({ PERSIST: '0' }).persistDir).toBeUndefined();
    expect(read({ FUNCTION_CONCURRENCY: '4' }).functionConcurrency).toBe(4);
    expect(read({ EMULATOR_PORTS: 'free', DYNAMODB_PORT: '9000' })).toMatchObject({ dynamoPort: 9000, kmsPort: undefined });
  });

  it.each([
    [{ SIGNING_ALG: 'es256' }, 'SIGNING_ALG must be RS256 or ES256 (got "es256")'],
    [{ SIGNING_ALG: 'PS256' }, 'SIGNING_ALG must be RS256 or ES256 (got "PS256")'],
    [{ PAYLOAD_VERSION: '3' }, 'PAYLOAD_VERSION must be 2.0 or 1.0 (got "3")'],
    [{ PAYLOAD_VERSION: '1' }, 'PAYLOAD_VERSION must be 2.0 or 1.0 (got "1")'],
    [{ EMULATOR_PORTS: 'yes' }, 'EMULATOR_PORTS must be free or unset (got "yes")'],
    [{ PORT: 'http' }, 'PORT must be a port number from 0 to 65535 (0: a free port) (got "http")'],
    [{ PORT: '70000' }, 'PORT must be a port number from 0 to 65535 (0: a free port) (got "70000")'],
    [{ DYNAMODB_PORT: '0' }, 'DYNAMODB_PORT must be a port number from 1 to 65535 (got "0")'],
    [{ KMS_PORT: '80.5' }, 'KMS_PORT must be a port number from 1 to 65535 (got "80.5")'],
    [{ FUNCTION_CONCURRENCY: '0' }, 'FUNCTION_CONCURRENCY must be a positive integer (got "0")'],
    [{ FUNCTION_CONCURRENCY: 'many' }, 'FUNCTION_CONCURRENCY must be a positive integer (got "many")'],
    [{ BIND_HOST: 'my laptop' }, 'BIND_HOST must be an IP address of this machine, e.g. 127.0.0.1 or 0.0.0.0 (got "my laptop")'],
  ])('refuses %j in one line naming the variable and the allowed values', (env, message) => {
    expect(refusal(env)).toBe(message);
  });

  it('warns when BIND_HOST reaches beyond this machine', () => {
    expect(read({ BIND_HOST: '127.0.0.2' }).bindWarning).toBeUndefined();
    expect(read({ BIND_HOST: '::1' }).bindWarning).toBeUndefined();
    expect(read({ BIND_HOST: '0.0.0.0' }).bindWarning).toMatch(/^BIND_HOST=0\.0\.0\.0: .*reachable from other machines/);
    expect(read({ BIND_HOST: '172.17.0.1' }).bindWarning).toMatch(/reachable from other machines/);
    expect(isLoopback('::')).toBe(false);
  });
});
