import { containerRuntime } from '../runtime.js';
import { errorResponse, type HttpResult } from '../http/response.js';
import { handleTokenEvent } from './handle.js';
import type { ApiGatewayEvent } from '../http/event.js';

let prefetched = false;

export const handler = async (event: ApiGatewayEvent): Promise<HttpResult> => {
  let runtime;
  try {
    runtime = containerRuntime();
  } catch (error) {
    return errorResponse(error);
  }
  if (!prefetched) {
    prefetched = true;
    runtime.prefetchSigningKey();
  }
  return handleTokenEvent(event, { exchange: runtime.exchange, issuer: runtime.config.issuer });
};
