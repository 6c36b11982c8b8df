import type { AttemptLimits } from './ports.js';

/** DESIGN section 12 defaults; 0 disables a limit. */
export const DEFAULT_RATE_LIMITS = { per_ip_failures_per_minute: 20, per_client_per_second: 0 } as const;

interface RateLimitSettings {
  rate_limits?: { per_ip_failures_per_minute?: number; per_client_per_second?: number } | undefined;
}

/**
 * The client's `rate_limits` with the defaults filled in. Its own module so that the
 * functions that enforce limits do not bundle the tenant-file schema (core/tenant.ts).
 */
export const attemptLimitsOf = (client: RateLimitSettings): AttemptLimits => ({
  perIpFailuresPerMinute: client.rate_limits?.per_ip_failures_per_minute ?? DEFAULT_RATE_LIMITS.per_ip_failures_per_minute,
  perClientPerSecond: client.rate_limits?.per_client_per_second ?? DEFAULT_RATE_LIMITS.per_client_per_second,
});
