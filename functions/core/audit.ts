import { logger } from './logger.js';
import { recordExchange } from './metrics.js';

/** One audit event per exchange (no tokens, no secrets): who, how, outcome, why, how long. */
export interface ExchangeAudit {
  outcome: 'success' | 'failure';
  /** At POST /oauth/token: the grant (a code literal, never the request's raw value). */
  grant_type?: string;
  client_id?: string;
  connection?: string;
  strategy?: string;
  user_id?: string;
  status: number;
  reason?: string;
  latency_ms: number;
}

export const auditExchange = (event: ExchangeAudit): void => {
  logger.info('token_exchange', { audit: event });
  recordExchange({
    status: event.status,
    latencyMs: event.latency_ms,
    ...(event.reason ? { reason: event.reason } : {}),
    ...(event.strategy ? { strategy: event.strategy } : {}),
  });
};
