import { createHmac, randomBytes } from 'node:crypto';

/**
 * OAuth 1.0a request signing with HMAC-SHA1 (RFC 5849), the only scheme X/Twitter's
 * v1.1 user-context endpoints accept. Pure functions: the nonce and the timestamp are
 * injectable so the published examples can be reproduced byte for byte.
 */

export type ParameterPairs = ReadonlyArray<readonly [string, string]>;

export interface OAuth1Credentials {
  /** Client identifier (X: API key / consumer key). */
  consumerKey: string;
  consumerSecret: string;
  /** Token identifier; absent only for temporary-credential requests (RFC 5849 section 2.1). */
  token?: string;
  tokenSecret?: string;
}

export interface OAuth1Request {
  method: string;
  /** The full request URL; its query parameters are signed (RFC 5849 section 3.4.1.3.1). */
  url: string | URL;
  /** Body parameters, only when the body is application/x-www-form-urlencoded. */
  form?: ParameterPairs | Readonly<Record<string, string>>;
}

export interface OAuth1SignOptions {
  /** Defaults to 32 random bytes, hex: unique per request (RFC 5849 section 3.3). */
  nonce?: string;
  /** Seconds since the epoch; defaults to the current time. */
  timestamp?: number | string;
  /** `realm` is sent in the header but never signed (RFC 5849 section 3.4.1.3.1). */
  realm?: string;
  /** `oauth_version="1.0"` is optional in RFC 5849 but X's docs always send it. */
  includeVersion?: boolean;
  /** Further protocol parameters such as `oauth_callback` or `oauth_verifier`. */
  extra?: Readonly<Record<string, string>>;
}

export interface OAuth1Signature {
  /** The value of the `Authorization` header (RFC 5849 section 3.5.1). */
  authorization: string;
  /** Base64 HMAC-SHA1, before header encoding. */
  signature: string;
  baseString: string;
  /** The protocol parameters that were signed (without the signature). */
  oauthParams: Readonly<Record<string, string>>;
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * RFC 5849 section 3.6: UTF-8 bytes, everything outside ALPHA / DIGIT / "-" / "." / "_" /
 * "~" as %XX with uppercase hex. Unlike encodeURIComponent this also escapes ! ' ( ) *,
 * and it never throws on a lone surrogate (Buffer substitutes U+FFFD).
 */
export const percentEncode = (value: string): string => {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += byte < 0x80 && UNRESERVED.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
};

/**
 * RFC 5849 section 3.4.1.2: lowercase scheme and host, the port only when it is not the
 * scheme's default, the path as sent, and neither query nor fragment. WHATWG URL already
 * lowercases and drops default ports (80 for http, 443 for https).
 */
export const baseStringUri = (url: string | URL): string => {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  const port = parsed.port === '' ? '' : `:${parsed.port}`;
  return `${parsed.protocol}//${parsed.hostname}${port}${parsed.pathname || '/'}`;
};

/**
 * RFC 5849 section 3.4.1.3.2: encode every name and value, sort by encoded name and then
 * encoded value (the encoded strings are ASCII, so code-unit order is byte order), and join
 * `name=value` pairs with "&".
 */
export const normalizeParameters = (pairs: ParameterPairs): string =>
  pairs
    .map(([name, value]) => [percentEncode(name), percentEncode(value)] as const)
    .sort(([nameA, valueA], [nameB, valueB]) => compare(nameA, nameB) || compare(valueA, valueB))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** RFC 5849 section 3.4.1.1: METHOD & enc(base string URI) & enc(normalized parameters). */
export const signatureBaseString = (method: string, url: string | URL, pairs: ParameterPairs): string =>
  [method.toUpperCase(), percentEncode(baseStringUri(url)), percentEncode(normalizeParameters(pairs))].join('&');

/** RFC 5849 section 3.4.2: key = enc(consumer secret) "&" enc(token secret), base64 digest. */
export const hmacSha1Signature = (baseString: string, consumerSecret: string, tokenSecret = ''): string =>
  createHmac('sha1', `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`)
    .update(baseString, 'utf8')
    .digest('base64');

/**
 * The request parameters that take part in the signature: the query (decoded as
 * application/x-www-form-urlencoded, so "+" is a space) and the form body
 * (RFC 5849 section 3.4.1.3.1).
 */
export const requestParameters = (url: string | URL, form?: OAuth1Request['form']): Array<[string, string]> => {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  const pairs: Array<[string, string]> = [...parsed.searchParams.entries()];
  if (form) pairs.push(...(isPairs(form) ? form.map(([name, value]): [string, string] => [name, value]) : Object.entries(form)));
  return pairs;
};

const isPairs = (form: NonNullable<OAuth1Request['form']>): form is ParameterPairs => Array.isArray(form);

/** 32 random bytes as hex: alphanumeric, so it needs no encoding anywhere. */
export const createNonce = (): string => randomBytes(32).toString('hex');

export const signRequest = (
  request: OAuth1Request,
  credentials: OAuth1Credentials,
  options: OAuth1SignOptions = {},
): OAuth1Signature => {
  if (credentials.token !== undefined && credentials.tokenSecret === undefined) {
    // Signing with an empty token secret would silently produce a signature the provider
    // rejects; a missing secret is a caller bug, not a provider answer.
    throw new TypeError('an OAuth 1.0a token requires its token secret');
  }
  const oauthParams: Record<string, string> = {
    ...options.extra,
    oauth_consumer_key: credentials.consumerKey,
    oauth_nonce: options.nonce ?? createNonce(),
    oauth_signature_method: 'HMAC-SHA1',
    oauth_timestamp: String(options.timestamp ?? Math.floor(Date.now() / 1000)),
    ...(credentials.token === undefined ? {} : { oauth_token: credentials.token }),
    ...(options.includeVersion === false ? {} : { oauth_version: '1.0' }),
  };
  const pairs = [...requestParameters(request.url, request.form), ...Object.entries(oauthParams)];
  const baseString = signatureBaseString(request.method, request.url, pairs);
  const signature = hmacSha1Signature(baseString, credentials.consumerSecret, credentials.tokenSecret);
  return {
    authorization: authorizationHeader({ ...oauthParams, oauth_signature: signature }, options.realm),
    signature,
    baseString,
    oauthParams,
  };
};

/** RFC 5849 section 3.5.1: `OAuth realm="...", name="enc(value)", ...`. */
export const authorizationHeader = (params: Readonly<Record<string, string>>, realm?: string): string => {
  const fields = Object.entries(params)
    .sort(([a], [b]) => compare(a, b))
    .map(([name, value]) => `${percentEncode(name)}="${percentEncode(value)}"`);
  if (realm !== undefined) fields.unshift(`realm="${realm.replace(/["\\]/g, '')}"`);
  return `OAuth ${fields.join(', ')}`;
};

const HEADER_FIELD = /^\s*([^=\s]+)\s*=\s*"([^"]*)"\s*$/;

/**
 * Parses an `Authorization: OAuth ...` header into decoded parameters (server side of
 * RFC 5849 section 3.5.1). Returns undefined for another scheme, a malformed field, a
 * repeated parameter or an invalid percent-encoding.
 */
export const parseAuthorizationHeader = (header: string | undefined): Map<string, string> | undefined => {
  const match = /^OAuth\s+(.*)$/is.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const params = new Map<string, string>();
  for (const field of match[1].split(',')) {
    const parts = HEADER_FIELD.exec(field);
    if (!parts?.[1] || parts[2] === undefined) return undefined;
    try {
      const name = decodeURIComponent(parts[1]);
      if (params.has(name)) return undefined;
      params.set(name, decodeURIComponent(parts[2]));
    } catch {
      return undefined;
    }
  }
  return params;
};
