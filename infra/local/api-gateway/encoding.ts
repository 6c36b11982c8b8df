/**
 * When API Gateway hands a request body to Lambda base64-encoded.
 *
 * HTTP APIs have no binaryMediaTypes setting. Observed against real HTTP APIs (payload 2.0):
 * only text/*, application/json, application/xml and application/javascript arrive as plain
 * text; everything else, including a missing Content-Type and, notably,
 * application/x-www-form-urlencoded, arrives base64-encoded.
 *
 * REST APIs encode exactly the bodies whose Content-Type matches the API's binaryMediaTypes
 * (exact, `type/*` or `*\/*`); with none configured, every body arrives as text.
 */
const HTTP_API_TEXT_TYPES = new Set(['application/json', 'application/xml', 'application/javascript']);

export const mediaType = (contentType: string | undefined): string =>
  (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';

export const httpApiSendsAsText = (contentType: string | undefined): boolean => {
  const type = mediaType(contentType);
  return type.startsWith('text/') || HTTP_API_TEXT_TYPES.has(type);
};

export const matchesMediaTypes = (contentType: string | undefined, patterns: readonly string[]): boolean => {
  const type = mediaType(contentType);
  if (!type) return false;
  const [major] = type.split('/', 1);
  return patterns.some((pattern) => {
    const wanted = pattern.trim().toLowerCase();
    return wanted === '*/*' || wanted === type || wanted === `${major}/*`;
  });
};

/** The `body` / `isBase64Encoded` pair of an event; `null` body when the request had none. */
export const encodeBody = (body: Buffer, base64: boolean): { body: string | null; isBase64Encoded: boolean } => {
  if (body.length === 0) return { body: null, isBase64Encoded: false };
  return base64 ? { body: body.toString('base64'), isBase64Encoded: true } : { body: body.toString('utf8'), isBase64Encoded: false };
};
