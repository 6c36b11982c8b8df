import { round } from './stats.js';
import { countBy, timeHops, type HopFigures } from './hops.js';
import type { BenchServices } from './services.js';

/**
 * The warm native sign-ins at POST /oauth/token (DESIGN section 10), counted in round trips
 * like critical-path.ts:
 * - an ID token: the JWKS is cached, so verification makes no provider call at all and the
 *   only hop is the one parallel write step (user writes ‖ single-use record ‖ KMS Sign ‖
 *   access-token record). Expected: 1 hop, 0 provider calls.
 * - an Apple authorization code: one call to Apple's token endpoint, whose ID token is then
 *   verified against the cached JWKS, then the same write step. Expected: 2 hops, 1 call.
 */
export type NativePathKind = 'id_token' | 'apple_code';

export interface IdTokenPathFigures extends HopFigures {
  kind: NativePathKind;
  expectedHops: number;
  providerCallsPerExchange: number;
  callsPerExchange: Record<string, number>;
}

const APPLE_CODE = 'http://auth0.com/oauth/token-type/apple-authz-code';
const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token';
const NONCE = 'bench-nonce';

/** A fresh subject per exchange: each ID token and each code is single use. */
const subjectOf = (services: BenchServices, kind: NativePathKind): Record<string, string> => {
  const { emulators } = services.stack;
  return kind === 'id_token'
    ? { subject_token_type: ID_TOKEN, subject_token: emulators.google.idTokens.mint({ raw_nonce: NONCE }) }
    : { subject_token_type: APPLE_CODE, subject_token: emulators.apple.mintCode({ sub: '001234.bench0000000000000000000000000.0001', email: 'bench@example.com', raw_nonce: NONCE }) };
};

const exchangeNative = async (services: BenchServices, kind: NativePathKind): Promise<number> => {
  const { stack } = services;
  const started = performance.now();
  const response = await fetch(`${stack.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      client_id: 'my-app',
      ...subjectOf(services, kind),
      nonce: NONCE,
      scope: 'openid profile email',
    }),
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${kind} exchange answered ${response.status}`);
  return performance.now() - started;
};

export const measureIdTokenPath = async (
  services: BenchServices,
  options: { delayMs: number; runs: number; kind?: NativePathKind },
): Promise<IdTokenPathFigures> => {
  const kind = options.kind ?? 'id_token';
  // The first exchanges fetch the JWKS, read the config and create the user.
  const { calls, ...figures } = await timeHops(services, options, () => exchangeNative(services, kind));
  return {
    kind,
    ...figures,
    expectedHops: kind === 'id_token' ? 1 : 2,
    providerCallsPerExchange: round(calls.providers.length / options.runs, 2),
    callsPerExchange: countBy(calls.services, options.runs),
  };
};
