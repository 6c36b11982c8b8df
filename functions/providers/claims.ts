import * as v from 'valibot';
import type { ProfileClaims } from './types.js';

/**
 * Small, pure helpers shared by the provider adapters for reading loosely typed provider
 * JSON. Providers are inconsistent about scalar types (Google's tokeninfo sends numbers and
 * booleans as strings, Twitter/Weibo ids exceed 2^53), so every value is parsed on purpose
 * instead of trusted.
 */

const DECIMAL_INTEGER = /^-?\d{1,16}$/;
const DECIMAL_ID = /^\d{1,64}$/;

/**
 * A finite integer from a JSON number or a decimal string ("3599"), else undefined.
 * Fractions, exponents, whitespace and unsafe integers are refused: a provider that sends
 * them is not speaking the documented format.
 */
export const parseIntegerish = (value: unknown): number | undefined => {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && DECIMAL_INTEGER.test(value)) {
    const parsed = Number(value);
    return Number.isSafeInteger(parsed) ? parsed : undefined;
  }
  return undefined;
};

/** A boolean from `true`/`false` or their exact string spellings, else undefined. */
export const parseBooleanish = (value: unknown): boolean | undefined => {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
};

/**
 * A provider user/app id as a decimal string. Strings are kept verbatim (ids beyond 2^53
 * only survive as strings); a JSON number is accepted only while it is a safe integer,
 * since JSON.parse has already rounded anything larger to a different id.
 */
export const parseIdString = (value: unknown): string | undefined => {
  if (typeof value === 'string') return DECIMAL_ID.test(value) ? value : undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  return undefined;
};

/** A non-empty string, else undefined (cosmetic profile fields of the wrong type are dropped). */
export const optionalText = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

/** A plain JSON object, else undefined. */
export const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/**
 * Builds ProfileClaims without undefined members, so stored profiles and id_tokens never
 * carry `"name": undefined` noise. `email_verified` only accompanies an email: a verification
 * flag about no address means nothing (OIDC Core 1.0, section 5.1).
 */
export const compactClaims = (claims: ProfileClaims): ProfileClaims => {
  const out: ProfileClaims = {};
  for (const [key, value] of Object.entries(claims) as [keyof ProfileClaims, unknown][]) {
    if (value === undefined) continue;
    if (key === 'email_verified' && claims.email === undefined) continue;
    (out as Record<string, unknown>)[key] = value;
  }
  return out;
};

/*
 * The same parsers as valibot schemas, for provider answer schemas. A value that does not
 * parse fails the schema, which the adapters turn into `provider_malformed` (503).
 */
const scalar = v.union([v.string(), v.number(), v.boolean()]);
type Scalar = v.InferOutput<typeof scalar>;

/** An integer sent as a number or a decimal string. */
export const integerish = v.pipe(scalar, v.transform<Scalar, number | undefined>(parseIntegerish), v.number());

/** A boolean sent as a boolean or as "true"/"false". */
export const booleanish = v.pipe(scalar, v.transform<Scalar, boolean | undefined>(parseBooleanish), v.boolean());

/** A numeric id, kept as a string (see parseIdString). */
export const idString = v.pipe(scalar, v.transform<Scalar, string | undefined>(parseIdString), v.string());

/** An optional cosmetic text field: anything that is not a non-empty string becomes undefined. */
export const lenientText = v.optional(v.pipe(v.unknown(), v.transform(optionalText)));

/**
 * Runs provider calls concurrently like Promise.all, but settles only once every call has
 * finished, so no call outlives `verify()`: Lambda freezes work still running when the
 * handler answers and thaws it inside a later invocation. On failure it throws the first
 * rejection in argument order, which keeps the reported cause deterministic.
 */
export const allSettledOrThrow = async <T extends readonly unknown[]>(
  calls: readonly [...{ [K in keyof T]: Promise<T[K]> }],
): Promise<T> => {
  const results = await Promise.allSettled(calls);
  for (const result of results) if (result.status === 'rejected') throw result.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
};
