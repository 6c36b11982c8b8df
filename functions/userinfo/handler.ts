import { loadConfig } from '../config.js';
import { perContainer } from '../clients.js';
import { errorResponse, type HttpResult } from '../http/response.js';
import { handleUserinfoEvent } from './handle.js';
import { createUserinfoDependencies } from './runtime.js';
import type { ApiGatewayEvent } from '../http/event.js';

const runtime = perContainer(() => createUserinfoDependencies(loadConfig()));

export const handler = async (event: ApiGatewayEvent): Promise<HttpResult> => {
  let deps;
  try {
    deps = runtime();
  } catch (error) {
    return errorResponse(error);
  }
  return handleUserinfoEvent(event, deps);
};
