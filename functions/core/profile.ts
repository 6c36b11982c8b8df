/**
 * What a provider tells us about a user, in the core's own terms. The provider adapters
 * (providers/) produce these shapes; the core and the stores consume them without
 * importing any provider code.
 */

/** OIDC standard claims a provider profile maps to (OpenID Connect Core 1.0, section 5.1). */
export interface ProfileClaims {
  name?: string;
  given_name?: string;
  family_name?: string;
  nickname?: string;
  picture?: string;
  locale?: string;
  email?: string;
  email_verified?: boolean;
  /** Apple: the email is a private relay address (kept with the identity, not a token claim). */
  is_private_email?: boolean;
}

export interface NormalizedProfile<Provider extends string = string> {
  provider: Provider;
  /** The provider's user id as a string (`id_str`/`idstr`: ids exceed 2^53). */
  provider_user_id: string;
  claims: ProfileClaims;
}

/** What the client sent about its provider session (the parts a provider needs). */
export interface ProviderRequest {
  accessToken: string;
  /** OAuth 1.0a token secret (Twitter only). */
  accessTokenSecret?: string;
  /** Provider user id some SDKs send; when present it must match the provider's answer. */
  userId?: string;
}

/** Auth0's user_id format: `<provider>|<provider user id>` (DESIGN section 5). */
export const auth0UserId = (provider: string, providerUserId: string): string => `${provider}|${providerUserId}`;
