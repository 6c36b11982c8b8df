import { containerRuntime } from '../runtime.js';
import { errorResponse, type HttpResult } from '../http/response.js';
import { handleUserinfoEvent } from './handle.js';
import type { ApiGatewayEvent } from '../http/event.js';

export const handler = async (event: ApiGatewayEvent): Promise<HttpResult> => {
  let runtime;
  try {
    runtime = containerRuntime();
  } catch (error) {
    return errorResponse(error);
  }
  return handleUserinfoEvent(event, { tokens: runtime.tokens, users: runtime.users });
};
