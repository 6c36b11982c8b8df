import { loadConfig } from '../config.js';
import { lambdaEntry } from '../http/entry.js';
import { handleTokenEvent } from './handle.js';
import { createExchangeDependencies } from './runtime.js';

export const handler = lambdaEntry(() => {
  const config = loadConfig();
  const exchange = createExchangeDependencies(config);
  exchange.prefetch();
  return { exchange, issuer: config.issuer, edge: exchange.edge };
}, handleTokenEvent);
