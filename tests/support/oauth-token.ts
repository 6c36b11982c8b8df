import type { LocalStack } from '../../infra/local/stack.js';
import type { TokenCall } from './stack.js';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** POST /oauth/token through the local stack's HTTP route, as JSON or as a form. */
export const postOAuthToken = async (
  stack: Pick<LocalStack, 'url'>,
  fields: Record<string, unknown>,
  encoding: 'json' | 'form' = 'json',
): Promise<TokenCall> => {
  const response = await fetch(`${stack.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': encoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded' },
    body:
      encoding === 'json'
        ? JSON.stringify(fields)
        : new URLSearchParams(Object.entries(fields).map(([k, v]): [string, string] => [k, String(v)])).toString(),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
};
