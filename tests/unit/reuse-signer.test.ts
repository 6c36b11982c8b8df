import { Readable } from 'node:stream';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { reuseSigner } from '../../functions/sdk/reuse-signer.js';

/** A transport that keeps each request's headers and answers `{}` at once. */
const capturingHandler = (seen: Array<Record<string, string>>) => ({
  async handle(request: { headers: Record<string, string> }) {
    seen.push({ ...request.headers });
    return {
      response: {
        statusCode: 200,
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'test' },
        body: Readable.from([Buffer.from('{}')]),
      },
    };
  },
  updateHttpClientConfig() {},
  httpHandlerConfigs: () => ({}),
  destroy() {},
});

const put = () => new PutItemCommand({ TableName: 't', Item: { pk: { S: 'a' }, sk: { S: 'b' } } });

const clientWith = (seen: Array<Record<string, string>>, credentials: () => Promise<{ accessKeyId: string; secretAccessKey: string }>) =>
  new DynamoDBClient({ region: 'eu-west-1', credentials, requestHandler: capturingHandler(seen) as never });

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('reuseSigner', () => {
  it('signs exactly as a fresh signer does, request after request', async () => {
    // The signed headers carry the time and a random invocation id: both are fixed here.
    vi.useFakeTimers({ now: new Date('2026-12-01T10:00:00Z'), toFake: ['Date'] });
    vi.spyOn(globalThis.crypto, 'randomUUID').mockReturnValue('00000000-0000-4000-8000-000000000000');
    const credentials = async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' });
    const reused: Array<Record<string, string>> = [];
    const fresh: Array<Record<string, string>> = [];
    const client = reuseSigner(clientWith(reused, credentials));
    const baseline = clientWith(fresh, credentials);

    for (let i = 0; i < 3; i += 1) {
      await client.send(put());
      await baseline.send(put());
    }

    expect(reused.map((headers) => headers.authorization)).toEqual(fresh.map((headers) => headers.authorization));
    expect(reused[0]!.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261201\/eu-west-1\/dynamodb\/aws4_request, /);
  });

  it('builds the signer once, and uses refreshed credentials with it', async () => {
    let key = 'AKIDFIRST';
    const seen: Array<Record<string, string>> = [];
    const client = clientWith(seen, async () => ({ accessKeyId: key, secretAccessKey: 'secret', expiration: new Date(Date.now() - 1) }));
    const build = vi.spyOn(client.config, 'signer');
    reuseSigner(client);

    await client.send(put());
    key = 'AKIDSECOND';
    await client.send(put());

    expect(build).toHaveBeenCalledTimes(1);
    expect(seen[0]!.authorization).toContain('Credential=AKIDFIRST/');
    expect(seen[1]!.authorization).toContain('Credential=AKIDSECOND/');
  });

  it('tries again after a signer that could not be built', async () => {
    const seen: Array<Record<string, string>> = [];
    const client = clientWith(seen, async () => ({ accessKeyId: 'AKID', secretAccessKey: 'secret' }));
    const original = client.config.signer;
    let failures = 1;
    client.config.signer = async (authScheme) => {
      if (failures-- > 0) throw new Error('region not resolved yet');
      return original(authScheme);
    };
    reuseSigner(client);

    await expect(client.send(put())).rejects.toThrow('region not resolved yet');
    await expect(client.send(put())).resolves.toBeDefined();
  });
});
