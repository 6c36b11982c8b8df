import { containerRuntime } from '../runtime.js';
import { errorResponse, type HttpResult } from '../http/response.js';
import { handleDiscoveryEvent } from './handle.js';
import type { ApiGatewayEvent } from '../http/event.js';

export const handler = async (event: ApiGatewayEvent): Promise<HttpResult> => {
  let runtime;
  try {
    runtime = containerRuntime();
  } catch (error) {
    return errorResponse(error);
  }
  return handleDiscoveryEvent(event, {
    issuer: runtime.config.issuer,
    signingAlg: runtime.config.signingAlg,
    jwks: () => runtime.keyRing.jwks(),
  });
};
