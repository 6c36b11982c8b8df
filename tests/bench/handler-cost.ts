import { handleTokenEvent, type TokenHandlerDependencies } from '../../functions/token/handle.js';
import { LEGACY_ACCESS_TOKEN_GRANT } from '../../functions/core/errors.js';
import { setLogSink } from '../../functions/core/logger.js';
import { createProviderVerifier } from '../../functions/providers/verifier.js';
import type { ExchangeDependencies } from '../../functions/core/exchange.js';
import type { ClientConfig, ConnectionConfig } from '../../functions/core/tenant.js';
import type { NormalizedProfile } from '../../functions/providers/types.js';
import { FACEBOOK_APP, FACEBOOK_USERS } from '../../infra/local/emulators/facebook.js';
import { tokenExchangeEvent } from './events.js';
import { median, quantile, round } from './stats.js';

/**
 * CPU per warm exchange when every dependency answers instantly: the ports are in-process
 * fakes (as in tests/unit/exchange.test.ts), the event is a real HTTP API event, so what
 * is measured is our own work: event decoding, body parsing and validation, the exchange,
 * claims, the access token and its hash, the audit line, the response.
 */
export interface HandlerCostFigures {
  label: string;
  batches: number;
  batchSize: number;
  /** CPU (user + system) per exchange, median over batches, in microseconds. */
  medianCpuUs: number;
  p90CpuUs: number;
  /** Wall time per exchange, median over batches, in microseconds. */
  medianWallUs: number;
}

export const client: ClientConfig = {
  client_id: 'my-app',
  grant_types: [LEGACY_ACCESS_TOKEN_GRANT],
  connections: ['facebook'],
  id_token_lifetime: 36_000,
  link_by_verified_email: false,
};

export const connection: ConnectionConfig = {
  name: 'facebook',
  strategy: 'facebook',
  options: { ...FACEBOOK_APP, endpoints: { debug_token: 'http://graph.test/v25.0/debug_token', me: 'http://graph.test/v25.0/me' } },
};

const alice = FACEBOOK_USERS.alice;
export const profile: NormalizedProfile = {
  provider: 'facebook',
  provider_user_id: alice.id,
  claims: {
    name: alice.name,
    given_name: alice.first_name,
    family_name: alice.last_name,
    picture: alice.picture.data.url,
    email: alice.email,
    email_verified: false,
  },
};

// A constant with the size of a real RS256 id_token: the response body is serialized for real.
const SIGNED = `eyJhbGciOiJSUzI1NiJ9.${'x'.repeat(420)}.${'s'.repeat(342)}`;

const fakePorts = (verifier: ExchangeDependencies['verifier']): ExchangeDependencies => ({
  tenants: { lookup: async () => ({ client, connection }) },
  users: {
    recordLogin: async (input) => ({ userId: `facebook|${input.profile.provider_user_id}`, linked: false, profile: input.profile.claims }),
  },
  tokens: { save: async () => undefined, find: async () => undefined },
  verifier,
  signer: { sign: async () => SIGNED },
  clock: { now: () => new Date() },
  accessTokenTtlSeconds: 86_400,
});

/** Graph's two answers for Alice's token, served without any network. */
export const instantGraph: typeof fetch = async (input) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const body = url.pathname.endsWith('/debug_token')
    ? {
        data: {
          app_id: FACEBOOK_APP.client_id,
          type: 'USER',
          application: 'My app',
          data_access_expires_at: Math.floor(Date.now() / 1000) + 90 * 86_400,
          expires_at: Math.floor(Date.now() / 1000) + 60 * 86_400,
          is_valid: true,
          scopes: ['email', 'public_profile'],
          user_id: alice.id,
        },
      }
    : alice;
  return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json; charset=UTF-8' } });
};

export const measure = async (
  label: string,
  deps: TokenHandlerDependencies,
  options: { batches: number; batchSize: number; warmup: number },
): Promise<HandlerCostFigures> => {
  const event = tokenExchangeEvent({ client_id: 'my-app', connection: 'facebook', access_token: 'fb-valid-alice', scope: 'openid profile email' });
  const once = async () => {
    const response = await handleTokenEvent(event, deps);
    if (response.statusCode !== 200) throw new Error(`${label}: exchange answered ${response.statusCode}: ${response.body}`);
  };
  for (let i = 0; i < options.warmup; i += 1) await once();
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let batch = 0; batch < options.batches; batch += 1) {
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    for (let i = 0; i < options.batchSize; i += 1) await once();
    const used = process.cpuUsage(cpuBefore);
    wall.push(((performance.now() - wallBefore) * 1000) / options.batchSize);
    cpu.push((used.user + used.system) / options.batchSize);
  }
  return {
    label,
    batches: options.batches,
    batchSize: options.batchSize,
    medianCpuUs: round(median(cpu), 1),
    p90CpuUs: round(quantile(cpu, 0.9), 1),
    medianWallUs: round(median(wall), 1),
  };
};

export const measureHandlerCost = async (
  options = { batches: 30, batchSize: 200, warmup: 1_000 },
): Promise<{ ports: HandlerCostFigures; withFacebookAdapter: HandlerCostFigures }> => {
  // The audit line is still built and serialized; only the write to stdout is dropped.
  const previous = setLogSink(() => undefined);
  try {
    const ports = await measure('all ports faked', { exchange: fakePorts({ verify: async () => profile }), issuer: 'https://auth.example.com/' }, options);
    const verifier = createProviderVerifier({ fetch: instantGraph });
    const withFacebookAdapter = await measure(
      'real Facebook adapter + ky, instant in-process fetch',
      { exchange: fakePorts(verifier), issuer: 'https://auth.example.com/' },
      options,
    );
    return { ports, withFacebookAdapter };
  } finally {
    setLogSink(previous);
  }
};
