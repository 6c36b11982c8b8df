import * as v from 'valibot';
import { errors } from './errors.js';

/** The exchange's parameters (DESIGN section 2). Unknown fields are ignored. */
export interface TokenRequest {
  client_id: string;
  access_token: string;
  connection: string;
  scope?: string;
  access_token_secret?: string;
  user_id?: string;
}

export interface RawBody {
  /** The Content-Type header as sent, if any. */
  contentType: string | undefined;
  /** The body text (already base64-decoded), if any. */
  text: string | undefined;
}

export const MAX_BODY_BYTES = 16 * 1024;

export const requiredParameter = (name: string, maxLength: number) =>
  v.pipe(
    v.nullish(v.string(`the ${name} parameter must be a string`), ''),
    v.nonEmpty(`missing ${name} parameter`),
    v.maxLength(maxLength, `the ${name} parameter must be at most ${maxLength} characters`),
  );

export const optionalParameter = (name: string, maxLength: number) =>
  v.pipe(
    v.nullish(v.string(`the ${name} parameter must be a string`)),
    v.transform((value) => (value === '' || value === null ? undefined : value)),
    v.optional(v.pipe(v.string(), v.maxLength(maxLength, `the ${name} parameter must be at most ${maxLength} characters`))),
  );

// Order matters: with abortEarly the first failing entry decides the message, and Auth0
// reports client_id, then access_token, then connection.
const TokenRequestSchema = v.object({
  client_id: requiredParameter('client_id', 256),
  access_token: requiredParameter('access_token', 8192),
  connection: requiredParameter('connection', 128),
  scope: optionalParameter('scope', 1024),
  access_token_secret: optionalParameter('access_token_secret', 1024),
  user_id: optionalParameter('user_id', 256),
});

const mediaTypeOf = (contentType: string | undefined): string | undefined =>
  contentType?.split(';', 1)[0]?.trim().toLowerCase() || undefined;

/** Parses and validates the body of `POST /oauth/access_token`; throws 400 OAuthErrors. */
export const parseTokenRequest = (body: RawBody): TokenRequest => {
  const fields = decodeFields(body);
  const result = v.safeParse(TokenRequestSchema, fields, { abortEarly: true });
  if (!result.success) {
    const issue = result.issues[0];
    throw errors.badRequest(issue?.message ?? 'the request is invalid', 'invalid_parameter');
  }
  const { scope, access_token_secret, user_id, ...required } = result.output;
  return {
    ...required,
    ...(scope !== undefined ? { scope } : {}),
    ...(access_token_secret !== undefined ? { access_token_secret } : {}),
    ...(user_id !== undefined ? { user_id } : {}),
  };
};

/**
 * The body as a plain object of fields: size limit, media type, JSON or form (shared with
 * `POST /oauth/token`). `knownParameters` are the ones that must not be repeated in a form.
 */
export const decodeFields = (
  { contentType, text }: RawBody,
  knownParameters: ReadonlySet<string> = KNOWN_PARAMETERS,
): Record<string, unknown> => {
  if (text !== undefined && Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) throw errors.payloadTooLarge(MAX_BODY_BYTES);
  const mediaType = mediaTypeOf(contentType);
  if (text === undefined || text.trim() === '') {
    if (mediaType !== undefined && !SUPPORTED.has(mediaType)) throw unsupportedContentType();
    return {};
  }
  if (mediaType === 'application/json') return decodeJson(text);
  if (mediaType === 'application/x-www-form-urlencoded') return decodeForm(text, knownParameters);
  throw unsupportedContentType();
};

const KNOWN_PARAMETERS = new Set(['client_id', 'access_token', 'connection', 'scope', 'access_token_secret', 'user_id']);

const SUPPORTED = new Set(['application/json', 'application/x-www-form-urlencoded']);

const unsupportedContentType = () =>
  errors.badRequest(
    'unsupported content type: send application/json or application/x-www-form-urlencoded',
    'unsupported_content_type',
  );

/** Some editors and Windows tools start UTF-8 files with a byte order mark; JSON.parse does not skip it. */
const withoutBom = (text: string): string => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

const decodeJson = (text: string): Record<string, unknown> => {
  let value: unknown;
  try {
    value = JSON.parse(withoutBom(text));
  } catch {
    throw errors.badRequest('the request body is not valid JSON', 'malformed_body');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw errors.badRequest('the request body must be a JSON object', 'malformed_body');
  }
  return value as Record<string, unknown>;
};

/**
 * `curl -d '{...}'` sends JSON labelled as a form. Read as a form it has no parameters at
 * all, and "missing client_id parameter" would send the developer looking in the wrong place.
 */
const looksLikeJsonObject = (text: string): boolean => {
  const trimmed = withoutBom(text).trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return false;
  try {
    const value: unknown = JSON.parse(trimmed);
    return typeof value === 'object' && value !== null;
  } catch {
    return false;
  }
};

const decodeForm = (text: string, knownParameters: ReadonlySet<string>): Record<string, unknown> => {
  if (looksLikeJsonObject(text)) {
    throw errors.badRequest(
      'the body looks like JSON but the Content-Type is application/x-www-form-urlencoded: send Content-Type: application/json',
      'json_sent_as_form',
    );
  }
  // A null-prototype object: keys like __proto__ stay plain data.
  const fields: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(text);
  } catch {
    throw errors.badRequest('the request body is not valid form data', 'malformed_body');
  }
  for (const [name, value] of params) {
    // RFC 6749 section 3.2: request parameters MUST NOT be included more than once. Unknown
    // fields are ignored, repeated or not.
    if (Object.hasOwn(fields, name) && knownParameters.has(name)) {
      throw errors.badRequest(`the ${name} parameter must not be repeated`, 'duplicate_parameter');
    }
    fields[name] = value;
  }
  return fields;
};
