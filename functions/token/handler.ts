import { loadConfig } from '../config.js';
import { perContainer } from '../clients.js';
import { errorResponse, type HttpResult } from '../http/response.js';
import { handleTokenEvent } from './handle.js';
import { createExchangeDependencies } from './runtime.js';
import type { ApiGatewayEvent } from '../http/event.js';

const runtime = perContainer(() => {
  const config = loadConfig();
  const exchange = createExchangeDependencies(config);
  exchange.prefetchSigningKey();
  return { exchange, issuer: config.issuer };
});

export const handler = async (event: ApiGatewayEvent): Promise<HttpResult> => {
  let deps;
  try {
    deps = runtime();
  } catch (error) {
    return errorResponse(error); // a configuration mistake: a 500 without details
  }
  return handleTokenEvent(event, deps);
};
