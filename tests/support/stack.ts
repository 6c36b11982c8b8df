import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../infra/local/stack.js';

/** A local stack on free ports, sharing the global DynamoDB Local and KMS endpoint, with its own table. */
export const startTestStack = (options: LocalStackOptions = {}): Promise<LocalStack> =>
  startLocalStack({
    port: 0,
    emulatorPorts: 'free',
    dynamoEndpoint: inject('dynamoEndpoint'),
    kmsEndpoint: inject('kmsEndpoint'),
    tableName: `test-${randomUUID()}`,
    providerTimeoutMs: 1_000,
    ...options,
  });

export interface TokenCall {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** POST to one of the local stack's token routes, as JSON or as a form. */
export const postFields = async (
  stack: Pick<LocalStack, 'url'>,
  path: string,
  fields: Record<string, unknown>,
  encoding: 'json' | 'form' = 'json',
): Promise<TokenCall> => {
  const response = await fetch(`${stack.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': encoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded' },
    body:
      encoding === 'json'
        ? JSON.stringify(fields)
        : new URLSearchParams(Object.entries(fields).map(([k, v]): [string, string] => [k, String(v)])).toString(),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
};

export const postToken = (stack: Pick<LocalStack, 'url'>, fields: Record<string, unknown>, encoding: 'json' | 'form' = 'json'): Promise<TokenCall> =>
  postFields(stack, '/oauth/access_token', fields, encoding);
