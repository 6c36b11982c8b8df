import type { UserProfile } from './ports.js';

/**
 * Scopes → claims. OIDC Core 5.4 defines `profile` and `email`; Auth0's legacy flow also
 * accepted claim names as scopes (`openid name email nickname picture`), which old SDKs
 * still send, so each claim name is a scope of its own.
 */
const PROFILE_CLAIMS = ['name', 'given_name', 'family_name', 'nickname', 'picture', 'locale', 'updated_at'] as const;
const EMAIL_CLAIMS = ['email', 'email_verified'] as const;
const LEGACY_CLAIM_SCOPES = new Set<string>([...PROFILE_CLAIMS, ...EMAIL_CLAIMS]);

export const DEFAULT_SCOPE = 'openid';

export const parseScope = (scope: string | undefined): string[] => {
  const names = (scope ?? '').split(/[ \t]+/).filter(Boolean);
  return names.length === 0 ? [DEFAULT_SCOPE] : [...new Set(names)];
};

export const wantsIdToken = (scopes: readonly string[]): boolean => scopes.includes('openid');

export const claimNamesFor = (scopes: readonly string[]): Set<string> => {
  const names = new Set<string>();
  for (const scope of scopes) {
    if (scope === 'profile') PROFILE_CLAIMS.forEach((claim) => names.add(claim));
    else if (scope === 'email') EMAIL_CLAIMS.forEach((claim) => names.add(claim));
    else if (LEGACY_CLAIM_SCOPES.has(scope)) {
      names.add(scope);
      // `email` alone would be useless without knowing whether it is verified.
      if (scope === 'email') names.add('email_verified');
    }
  }
  return names;
};

/** The profile claims the scopes allow, in OIDC form (`updated_at` in epoch seconds). */
export const claimsForScopes = (profile: UserProfile, scopes: readonly string[]): Record<string, unknown> => {
  const allowed = claimNamesFor(scopes);
  const claims: Record<string, unknown> = {};
  for (const name of allowed) {
    const value = profile[name as keyof UserProfile];
    if (value === undefined || value === null || value === '') continue;
    if (name === 'updated_at') {
      const seconds = Math.floor(Date.parse(String(value)) / 1000);
      if (Number.isFinite(seconds)) claims.updated_at = seconds;
      continue;
    }
    claims[name] = value;
  }
  // email_verified without an email says nothing useful.
  if (claims.email === undefined) delete claims.email_verified;
  return claims;
};
