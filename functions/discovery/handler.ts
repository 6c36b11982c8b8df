import { loadConfig } from '../config.js';
import { perContainer } from '../clients.js';
import { errorResponse, type HttpResult } from '../http/response.js';
import { handleDiscoveryEvent } from './handle.js';
import { createDiscoveryDependencies } from './runtime.js';
import type { ApiGatewayEvent } from '../http/event.js';

const runtime = perContainer(() => createDiscoveryDependencies(loadConfig()));

export const handler = async (event: ApiGatewayEvent): Promise<HttpResult> => {
  let deps;
  try {
    deps = runtime();
  } catch (error) {
    return errorResponse(error);
  }
  return handleDiscoveryEvent(event, deps);
};
