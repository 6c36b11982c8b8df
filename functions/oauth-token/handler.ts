import { loadConfig } from '../config.js';
import { lambdaEntry } from '../http/entry.js';
import { handleOAuthTokenEvent } from './handle.js';
import { createOAuthTokenDependencies } from './runtime.js';

export const handler = lambdaEntry(() => {
  const config = loadConfig();
  const endpoint = createOAuthTokenDependencies(config);
  endpoint.prefetch();
  return { endpoint, issuer: config.issuer, edge: endpoint.edge };
}, handleOAuthTokenEvent);
