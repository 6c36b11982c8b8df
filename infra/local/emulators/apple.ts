import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { createIdTokenIssuer, type IdTokenIssuer } from './id-tokens.js';
import { startEmulator, type EmulatorAnswer, type EmulatorHandle, type EmulatorOptions, type EmulatorRequest } from './server.js';

/**
 * Loopback emulator of Sign in with Apple's server endpoints, with their real shapes:
 * - `GET /auth/keys`: the JWKS of the identity tokens (RS256);
 * - `POST /auth/token` (form `client_id, client_secret, code, grant_type=authorization_code`):
 *   `{access_token, token_type, expires_in, refresh_token, id_token}`, or HTTP 400
 *   `{"error":"invalid_client"}` when the client-secret JWT does not verify with the public
 *   half of the configured key (header kid, iss team, sub client, aud appleid, exp), and
 *   `{"error":"invalid_grant"}` for an unknown, used or expired code;
 * - `POST /auth/revoke` (form `client_id, client_secret, token, token_type_hint`): 200.
 * Test hooks: `GET|POST /__emulator/id-token` mints an identity token (see id-tokens.ts) and
 * `GET|POST /__emulator/authorization-code` mints a code whose ID token carries the given
 * claims (same parameters), as an iOS app's ASAuthorizationAppleIDCredential would hold.
 */

/**
 * The app of the local tenant's `apple` connection. The key is a throwaway P-256 key made
 * for this emulator (never an Apple key); the emulator checks client secrets with its
 * public half, exactly as Apple checks them with the key it keeps for `key_id`.
 */
export const APPLE_APP = {
  client_id: 'com.example.emulator.app',
  services_id: 'com.example.emulator.web',
  team_id: 'EMUTEAM123',
  key_id: 'EMUKEY4567',
  private_key: [
    '-----BEGIN PRIVATE KEY-----',
    'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgxzVUvZDf8S3iuaMr',
    'FNGa3k/bqLeXhH7Ldifqwj/H+KqhRANCAARuSw5Gfk00m4rDz/MuzX1ZOSOixamS',
    'nUq2Az2vi+HFBOabEwZy3EUxJPpjPyuxDmPsUqsbyOBZaUZyXVUlRPn5',
    '-----END PRIVATE KEY-----',
  ].join('\n'),
} as const;

export const APPLE_ISSUER = 'https://appleid.apple.com';

export const APPLE_USERS = {
  alice: { sub: '001234.5f1e2d3c4b5a69788796a5b4c3d2e1f0.1234', email: 'x7k2m9q4p1@privaterelay.appleid.com', is_private_email: 'true' },
  bob: { sub: '005678.0a1b2c3d4e5f60718293a4b5c6d7e8f9.5678', email: 'bob@example.com', is_private_email: false },
} as const;

export interface AppleEmulatorOptions extends EmulatorOptions {
  /** The key whose public half verifies client secrets; default APPLE_APP's. */
  privateKey?: string;
  teamId?: string;
  keyId?: string;
}

export type AppleEmulatorHandle = EmulatorHandle & {
  endpoints: Record<string, string>;
  idTokens: IdTokenIssuer;
  /** Mints a single-use authorization code (5 minutes) for an identity token with these claims. */
  mintCode(claims?: Record<string, unknown>): string;
  /** Refresh tokens handed out by code exchanges, and those revoked since. */
  refreshTokens: Set<string>;
  revoked: string[];
};

interface Grant {
  claims: Record<string, unknown>;
  clientId: string;
  expiresAt: number;
}

const error = (name: string): EmulatorAnswer => ({ status: 400, json: { error: name } });

export const startAppleEmulator = async (options: AppleEmulatorOptions = {}): Promise<AppleEmulatorHandle> => {
  const publicKey = createPublicKey(options.privateKey ?? APPLE_APP.private_key);
  const teamId = options.teamId ?? APPLE_APP.team_id;
  const keyId = options.keyId ?? APPLE_APP.key_id;
  const idTokens = createIdTokenIssuer({
    issuer: APPLE_ISSUER,
    jwksPath: '/auth/keys',
    // c_hash (of the code) differs per token, as for Apple's own tokens minted in the same second.
    defaults: () => ({
      aud: APPLE_APP.client_id,
      ...APPLE_USERS.alice,
      email_verified: 'true',
      nonce_supported: true,
      c_hash: randomBytes(16).toString('base64url'),
    }),
    cacheControl: 'public, max-age=86400',
  });
  const codes = new Map<string, Grant>();
  const refreshTokens = new Set<string>();
  const revoked: string[] = [];

  const mintCode = (claims: Record<string, unknown> = {}): string => {
    const code = `c${randomBytes(16).toString('hex')}.0.emu.${randomBytes(8).toString('base64url')}`;
    codes.set(code, { claims, clientId: String(claims.aud ?? APPLE_APP.client_id), expiresAt: Date.now() + 5 * 60_000 });
    return code;
  };

  /** Apple's check of the client secret: an ES256 JWT by our team's key, for this client. */
  const clientSecretValid = (secret: string | null, clientId: string | null): boolean => {
    const parts = (secret ?? '').split('.');
    if (parts.length !== 3 || !clientId) return false;
    try {
      const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString()) as Record<string, unknown>;
      const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString()) as Record<string, number | string>;
      const signatureOk = verify(
        'sha256',
        Buffer.from(`${parts[0]}.${parts[1]}`),
        { key: publicKey, dsaEncoding: 'ieee-p1363' },
        Buffer.from(parts[2]!, 'base64url'),
      );
      const now = Math.floor(Date.now() / 1000);
      return (
        signatureOk &&
        header.alg === 'ES256' &&
        header.kid === keyId &&
        claims.iss === teamId &&
        claims.sub === clientId &&
        claims.aud === APPLE_ISSUER &&
        typeof claims.iat === 'number' &&
        typeof claims.exp === 'number' &&
        claims.exp > now &&
        claims.exp - claims.iat <= 15_777_000
      );
    } catch {
      return false;
    }
  };

  const token = (request: EmulatorRequest): EmulatorAnswer => {
    const form = new URLSearchParams(request.body);
    if (form.get('grant_type') !== 'authorization_code') return error('unsupported_grant_type');
    if (!clientSecretValid(form.get('client_secret'), form.get('client_id'))) return error('invalid_client');
    const code = form.get('code') ?? '';
    const grant = codes.get(code);
    codes.delete(code); // single use, even when refused below
    if (!grant || grant.expiresAt < Date.now() || grant.clientId !== form.get('client_id')) return error('invalid_grant');
    const refreshToken = `r${randomBytes(16).toString('hex')}.0.emu.${randomBytes(8).toString('base64url')}`;
    refreshTokens.add(refreshToken);
    return {
      status: 200,
      json: {
        access_token: `a${randomBytes(16).toString('hex')}.0.emu`,
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: refreshToken,
        id_token: idTokens.mint({ aud: grant.clientId, ...grant.claims }),
      },
    };
  };

  const revoke = (request: EmulatorRequest): EmulatorAnswer => {
    const form = new URLSearchParams(request.body);
    if (!clientSecretValid(form.get('client_secret'), form.get('client_id'))) return error('invalid_client');
    const value = form.get('token');
    if (!value) return error('invalid_request');
    revoked.push(value);
    refreshTokens.delete(value);
    return { status: 200 };
  };

  const handle = await startEmulator(
    'apple',
    (request) => {
      if (request.path === '/auth/token' && request.method === 'POST') return token(request);
      if (request.path === '/auth/revoke' && request.method === 'POST') return revoke(request);
      if (request.path === '/__emulator/authorization-code') {
        const claims: Record<string, unknown> =
          request.method === 'GET' ? Object.fromEntries(request.query) : (JSON.parse(request.body || '{}') as Record<string, unknown>);
        const code = mintCode(claims);
        return request.method === 'GET' ? { status: 200, text: code } : { status: 200, json: { code } };
      }
      return idTokens.route(request);
    },
    options,
  );
  return {
    ...handle,
    idTokens,
    mintCode,
    refreshTokens,
    revoked,
    endpoints: { jwks: `${handle.url}/auth/keys`, token: `${handle.url}/auth/token`, revoke: `${handle.url}/auth/revoke` },
  };
};
