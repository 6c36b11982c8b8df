import { compactClaims, optionalText, parseBooleanish } from '../claims.js';
import type { ProfileClaims } from '../../core/profile.js';
import type { Strategy } from '../../core/strategies.js';

/**
 * How each provider's ID tokens are checked (DESIGN section 10; the facts and their sources
 * are in docs/native-sign-in.md). One verifier (verify.ts) reads this table; nothing else
 * differs between Apple, Google and Facebook Limited Login.
 */
export interface IdTokenRules {
  strategy: IdTokenStrategy;
  /** For logs and metrics. */
  provider: string;
  /**
   * Pinned issuers: never read from a live discovery document (Apple's briefly named another
   * issuer in June 2025 and broke those who trusted it).
   */
  issuers: readonly string[];
  /** Apple only: `nonce_supported: false` excuses a token without nonce (older devices). */
  honoursNonceSupported: boolean;
  /** The profile the token's claims give. */
  claims(payload: Record<string, unknown>): ProfileClaims;
}

export type IdTokenStrategy = Extract<Strategy, 'apple' | 'google-oauth2' | 'facebook'>;

const text = (payload: Record<string, unknown>, name: string) => optionalText(payload[name]);

export const ID_TOKEN_RULES: Readonly<Record<IdTokenStrategy, IdTokenRules>> = {
  apple: {
    strategy: 'apple',
    provider: 'apple',
    issuers: ['https://appleid.apple.com'],
    honoursNonceSupported: true,
    // Apple never puts the name in the token (it comes once, through user_profile);
    // email_verified and is_private_email may be booleans or the strings "true"/"false".
    claims: (payload) =>
      compactClaims({
        email: text(payload, 'email'),
        email_verified: parseBooleanish(payload.email_verified),
        is_private_email: parseBooleanish(payload.is_private_email),
      }),
  },
  'google-oauth2': {
    strategy: 'google-oauth2',
    provider: 'google',
    issuers: ['https://accounts.google.com', 'accounts.google.com'],
    honoursNonceSupported: false,
    claims: (payload) =>
      compactClaims({
        name: text(payload, 'name'),
        given_name: text(payload, 'given_name'),
        family_name: text(payload, 'family_name'),
        picture: text(payload, 'picture'),
        locale: text(payload, 'locale'),
        email: text(payload, 'email'),
        email_verified: parseBooleanish(payload.email_verified) ?? false,
      }),
  },
  facebook: {
    strategy: 'facebook',
    provider: 'facebook',
    issuers: ['https://www.facebook.com'],
    honoursNonceSupported: false,
    // Facebook does not say its emails are verified (DESIGN section 2): never true.
    claims: (payload) =>
      compactClaims({
        name: text(payload, 'name'),
        given_name: text(payload, 'given_name'),
        family_name: text(payload, 'family_name'),
        picture: text(payload, 'picture'),
        email: text(payload, 'email'),
        email_verified: false,
      }),
  },
};

export const idTokenRulesFor = (strategy: string): IdTokenRules | undefined =>
  Object.hasOwn(ID_TOKEN_RULES, strategy) ? ID_TOKEN_RULES[strategy as IdTokenStrategy] : undefined;

/** The strategy whose pinned issuer is `iss`. */
export const strategyOfIssuer = (iss: unknown): IdTokenStrategy | undefined =>
  typeof iss === 'string'
    ? (Object.values(ID_TOKEN_RULES).find((rules) => rules.issuers.includes(iss))?.strategy ?? undefined)
    : undefined;
