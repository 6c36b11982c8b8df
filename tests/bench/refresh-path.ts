import { handleOAuthTokenEvent } from '../../functions/oauth-token/handle.js';
import { LEGACY_ACCESS_TOKEN_GRANT } from '../../functions/core/errors.js';
import { REFRESH_TOKEN_GRANT, TOKEN_EXCHANGE_GRANT } from '../../functions/core/grant-types.js';
import { setLogSink } from '../../functions/core/logger.js';
import { hashAccessToken } from '../../functions/core/issue-tokens.js';
import type { TokenEndpointDependencies } from '../../functions/core/token-endpoint.js';
import type { RefreshTokenRecord, RefreshTokenStore } from '../../functions/core/ports.js';
import type { ClientConfig } from '../../functions/core/tenant.js';
import { exchangeFields, type BenchServices } from './services.js';
import { countBy, timeHops, type HopFigures } from './hops.js';
import { tokenExchangeEvent } from './events.js';
import { median, quantile, round } from './stats.js';

/**
 * `grant_type=refresh_token` (DESIGN section 11): its critical path in round trips through
 * the local stack (the same fixed delay in front of every DynamoDB and KMS call; target 2:
 * the rotation, then the child's transaction ‖ profile read ‖ signature ‖ access-token
 * write), and the handler's own CPU per refresh with in-process ports.
 */
export interface RefreshPathFigures extends HopFigures {
  expectedHops: number;
  callsPerRefresh: Record<string, number>;
}

export interface RefreshCpuFigures {
  label: string;
  batches: number;
  batchSize: number;
  medianCpuUs: number;
  p90CpuUs: number;
}

export const EXPECTED_REFRESH_HOPS = 2;

const refreshOnce = async (url: string, refreshToken: string): Promise<{ ms: number; refreshToken: string }> => {
  const started = performance.now();
  const response = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'my-app', refresh_token: refreshToken }).toString(),
  });
  const body = (await response.json()) as { refresh_token?: string };
  if (response.status !== 200 || !body.refresh_token) throw new Error(`refresh answered ${response.status}`);
  return { ms: performance.now() - started, refreshToken: body.refresh_token };
};

export const measureRefreshPath = async (services: BenchServices, options: { delayMs: number; runs: number }): Promise<RefreshPathFigures> => {
  const { stack } = services;
  services.setDelay(0);
  const login = await fetch(`${stack.url}/oauth/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...exchangeFields.facebook, scope: 'openid profile email offline_access' }),
  });
  let { refresh_token: token } = (await login.json()) as { refresh_token?: string };
  if (!token) throw new Error(`login answered ${login.status} without a refresh token`);

  // Each refresh spends its token and hands the next one on. The first refresh after a
  // login re-signs once if the login changed the profile: the warm-ups go past it.
  const { calls, ...figures } = await timeHops(services, options, async () => {
    const result = await refreshOnce(stack.url, token!);
    token = result.refreshToken;
    return result.ms;
  });
  return {
    ...figures,
    expectedHops: EXPECTED_REFRESH_HOPS,
    callsPerRefresh: countBy(calls.services, options.runs),
  };
};

const client: ClientConfig = {
  client_id: 'my-app',
  grant_types: [LEGACY_ACCESS_TOKEN_GRANT, TOKEN_EXCHANGE_GRANT, REFRESH_TOKEN_GRANT],
  connections: ['facebook'],
  id_token_lifetime: 36_000,
  link_by_verified_email: false,
};

const SIGNED = `eyJhbGciOiJSUzI1NiJ9.${'x'.repeat(420)}.${'s'.repeat(342)}`;
const PROFILE = { name: 'Alice Liddell', given_name: 'Alice', family_name: 'Liddell', updated_at: '2026-01-01T00:00:00.000Z' };

/** An in-memory store with the DynamoDB store's answers, so only our own work is measured. */
const memoryRefreshTokens = (): RefreshTokenStore & { seed(hash: string): void } => {
  const records = new Map<string, RefreshTokenRecord>();
  const now = Math.floor(Date.now() / 1000);
  return {
    seed(tokenHash) {
      records.set(tokenHash, {
        tokenHash,
        familyId: 'family',
        userId: 'facebook|10224567890123456',
        clientId: 'my-app',
        scope: 'openid profile email offline_access',
        identity: 'facebook|10224567890123456',
        issuedAt: now,
        idleExpiresAt: now + 1_296_000,
        familyExpiresAt: now + 2_592_000,
        profile: PROFILE,
      });
    },
    async startFamily() {},
    async use({ tokenHash, now: at }) {
      const record = records.get(tokenHash);
      if (!record) return undefined;
      const rotated = record.usedAt === undefined;
      if (rotated) record.usedAt = at;
      return { record: { ...record }, rotated };
    },
    async rotate({ parent, tokenHash, idleExpiresAt, profile, now: at }) {
      const { usedAt: _used, ...rest } = parent;
      records.set(tokenHash, { ...rest, tokenHash, issuedAt: at, idleExpiresAt, profile });
      records.delete(parent.tokenHash);
      return { outcome: 'rotated', profile: PROFILE };
    },
    async release() {},
    async updateProfile() {},
    async revokeFamily() {},
    async find(tokenHash) {
      return records.get(tokenHash);
    },
    async familyActive() {
      return true;
    },
  };
};

export const measureRefreshCpu = async (options = { batches: 30, batchSize: 200, warmup: 1_000 }): Promise<RefreshCpuFigures> => {
  const previous = setLogSink(() => undefined);
  try {
    const refreshTokens = memoryRefreshTokens();
    let token = 'bench-refresh-token-0000000000000000000000';
    refreshTokens.seed(hashAccessToken(token));
    const endpoint = {
      tenants: { client: async () => client, connections: async () => [], lookup: async () => ({ client }) },
      refreshTokens,
      tokens: { save: async () => undefined, find: async () => undefined },
      signer: { sign: async () => SIGNED },
      clock: { now: () => new Date() },
      accessTokenTtlSeconds: 86_400,
    } as unknown as TokenEndpointDependencies;
    const deps = { endpoint, issuer: 'https://auth.example.com/' };
    const once = async () => {
      const response = await handleOAuthTokenEvent(tokenExchangeEvent({ grant_type: 'refresh_token', client_id: 'my-app', refresh_token: token }), deps);
      if (response.statusCode !== 200) throw new Error(`refresh answered ${response.statusCode}: ${response.body}`);
      token = (JSON.parse(response.body) as { refresh_token: string }).refresh_token;
    };
    for (let i = 0; i < options.warmup; i += 1) await once();
    const cpu: number[] = [];
    for (let batch = 0; batch < options.batches; batch += 1) {
      const before = process.cpuUsage();
      for (let i = 0; i < options.batchSize; i += 1) await once();
      const used = process.cpuUsage(before);
      cpu.push((used.user + used.system) / options.batchSize);
    }
    return {
      label: 'handleOAuthTokenEvent refresh, ports in memory (event building and body parse included)',
      batches: options.batches,
      batchSize: options.batchSize,
      medianCpuUs: round(median(cpu), 1),
      p90CpuUs: round(quantile(cpu, 0.9), 1),
    };
  } finally {
    setLogSink(previous);
  }
};
