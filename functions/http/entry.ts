import { perContainer } from '../clients.js';
import { errorResponse, type HttpResult } from './response.js';
import type { ApiGatewayEvent } from './event.js';

/**
 * A Lambda entry point: its dependencies are built on the first invocation and kept for the
 * container's life; a failure to build them (a configuration mistake) is answered like any
 * other unexpected error, as a 500 without details, instead of crashing the init phase.
 */
export const lambdaEntry =
  <Dependencies>(
    build: () => Dependencies,
    serve: (event: ApiGatewayEvent, deps: Dependencies) => Promise<HttpResult>,
  ): ((event: ApiGatewayEvent) => Promise<HttpResult>) => {
    const dependencies = perContainer(build);
    return async (event) => {
      let deps: Dependencies;
      try {
        deps = dependencies();
      } catch (error) {
        return errorResponse(error);
      }
      return serve(event, deps);
    };
  };
