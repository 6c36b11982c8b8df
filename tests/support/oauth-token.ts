import type { LocalStack } from '../../infra/local/stack.js';
import { postFields, type TokenCall } from './stack.js';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** POST /oauth/token through the local stack's HTTP route, as JSON or as a form. */
export const postOAuthToken = (
  stack: Pick<LocalStack, 'url'>,
  fields: Record<string, unknown>,
  encoding: 'json' | 'form' = 'json',
): Promise<TokenCall> => postFields(stack, '/oauth/token', fields, encoding);
