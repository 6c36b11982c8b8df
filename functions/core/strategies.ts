import type { SubjectKind } from './ports.js';

/**
 * The strategies of the tenant file as data (DESIGN sections 3 and 10): their names, the
 * endpoint names a connection may override with their real URLs, and what a connection of
 * each needs. The core, the tenant schema and the stores read these facts here; the code
 * that calls a provider lives in providers/ and takes its default URLs from this table, so
 * no function bundles an adapter it never runs just to know a strategy's name.
 */
export type Strategy = 'facebook' | 'google-oauth2' | 'twitter' | 'weibo' | 'apple';

export interface StrategyFacts {
  /** Endpoint name → real URL. */
  endpoints: Readonly<Record<string, string>>;
  /** `options.client_secret` is required (Google verifies without one; Apple signs with `private_key`). */
  requiresClientSecret: boolean;
  /** The access-token path needs `access_token_secret` (OAuth 1.0a). */
  requiresTokenSecret: boolean;
  /** Subject kinds its connections verify (DESIGN section 10's table). */
  subjectKinds: readonly SubjectKind[];
}

export const STRATEGIES: Readonly<Record<Strategy, StrategyFacts>> = {
  facebook: {
    endpoints: {
      debug_token: 'https://graph.facebook.com/v25.0/debug_token',
      me: 'https://graph.facebook.com/v25.0/me',
      jwks: 'https://limited.facebook.com/.well-known/oauth/openid/jwks/',
    },
    requiresClientSecret: true,
    requiresTokenSecret: false,
    subjectKinds: ['access_token', 'id_token'],
  },
  'google-oauth2': {
    endpoints: {
      tokeninfo: 'https://oauth2.googleapis.com/tokeninfo',
      userinfo: 'https://openidconnect.googleapis.com/v1/userinfo',
      jwks: 'https://www.googleapis.com/oauth2/v3/certs',
    },
    requiresClientSecret: false,
    requiresTokenSecret: false,
    subjectKinds: ['access_token', 'id_token'],
  },
  twitter: {
    endpoints: { verify_credentials: 'https://api.x.com/1.1/account/verify_credentials.json' },
    requiresClientSecret: true,
    requiresTokenSecret: true,
    subjectKinds: ['access_token'],
  },
  weibo: {
    endpoints: {
      get_token_info: 'https://api.weibo.com/oauth2/get_token_info',
      users_show: 'https://api.weibo.com/2/users/show.json',
    },
    requiresClientSecret: true,
    requiresTokenSecret: false,
    subjectKinds: ['access_token'],
  },
  apple: {
    endpoints: {
      jwks: 'https://appleid.apple.com/auth/keys',
      token: 'https://appleid.apple.com/auth/token',
      revoke: 'https://appleid.apple.com/auth/revoke',
    },
    requiresClientSecret: false,
    requiresTokenSecret: false,
    subjectKinds: ['id_token', 'authorization_code'],
  },
};

export const strategies = Object.keys(STRATEGIES) as Strategy[];

export const isStrategy = (value: string): value is Strategy => Object.hasOwn(STRATEGIES, value);

export const accepts = (strategy: string, kind: SubjectKind): boolean =>
  isStrategy(strategy) && STRATEGIES[strategy].subjectKinds.includes(kind);
