import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The AWS JSON 1.1 wire protocol as KMS speaks it: `POST /` with
 * `X-Amz-Target: TrentService.<Operation>`, JSON bodies with blobs in base64, and errors
 * as `{"__type": "<Name>", "message": "..."}` plus the `x-amzn-ErrorType` header. The SDK
 * reads the error name from `__type` first (smithy `loadJsonRpcErrorCode`), so both
 * carry the bare shape name.
 */
export const TARGET_PREFIX = 'TrentService.';
export const JSON_1_1 = 'application/x-amz-json-1.1';
export const ACCOUNT_ID = '111122223333';
const DEFAULT_REGION = 'us-east-1';
const MAX_BODY_BYTES = 1024 * 1024;

export class KmsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    /** Real KMS answers every client error with 400, whatever the model's httpError says. */
    readonly status = 400,
  ) {
    super(message);
  }
}

export const kmsErrors = {
  validation: (message: string) => new KmsError('ValidationException', message),
  serialization: (message: string) => new KmsError('SerializationException', message),
  unknownOperation: () => new KmsError('UnknownOperationException', ''),
  notFound: (message: string) => new KmsError('NotFoundException', message),
  disabled: (arn: string) => new KmsError('DisabledException', `${arn} is disabled.`),
  invalidKeyUsage: (message: string) => new KmsError('InvalidKeyUsageException', message),
  invalidSignature: () => new KmsError('KMSInvalidSignatureException', ''),
  invalidCiphertext: () => new KmsError('InvalidCiphertextException', ''),
  incorrectKey: () => new KmsError('IncorrectKeyException', 'The key ID in the request does not identify a KMS key that can perform this operation.'),
  unsupported: (message: string) => new KmsError('UnsupportedOperationException', message),
  alreadyExists: (message: string) => new KmsError('AlreadyExistsException', message),
  invalidAliasName: (message: string) => new KmsError('InvalidAliasNameException', message),
  throttling: () => new KmsError('ThrottlingException', 'Rate exceeded'),
  internal: () => new KmsError('KMSInternalException', 'An internal error occurred.', 500),
} as const;

export type JsonObject = Record<string, unknown>;

/** The operation name, or undefined when the request is not a KMS JSON 1.1 call. */
export const operationOf = (req: IncomingMessage): string | undefined => {
  const target = req.headers['x-amz-target'];
  if (req.method !== 'POST' || typeof target !== 'string' || !target.startsWith(TARGET_PREFIX)) return undefined;
  return target.slice(TARGET_PREFIX.length);
};

/** The region the caller signed for (SigV4 credential scope); signatures are not checked. */
export const regionOf = (req: IncomingMessage): string => {
  const match = /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\/kms\//.exec(req.headers.authorization ?? '');
  return match?.[1] ?? DEFAULT_REGION;
};

export const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(kmsErrors.validation('Request body is too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

export const parseInput = (body: Buffer): JsonObject => {
  let parsed: unknown;
  try {
    // The SDK sends `{}` for an operation without input; an empty body is treated the same.
    parsed = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    throw kmsErrors.serialization('Start of structure or map found where not expected.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw kmsErrors.serialization('Start of structure or map found where not expected.');
  }
  return parsed as JsonObject;
};

const sendJson = (res: ServerResponse, status: number, body: JsonObject, headers: Record<string, string> = {}) => {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': JSON_1_1,
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(payload);
};

export const sendResult = (res: ServerResponse, output: JsonObject) => sendJson(res, 200, output);

export const sendError = (res: ServerResponse, error: KmsError) =>
  sendJson(res, error.status, { __type: error.type, message: error.message }, { 'x-amzn-errortype': error.type });

// Input readers: the messages mimic AWS's "1 validation error detected" sentences.
const missing = (name: string) =>
  kmsErrors.validation(`1 validation error detected: Value null at '${lowerFirst(name)}' failed to satisfy constraint: Member must not be null`);

const lowerFirst = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

export const optionalString = (input: JsonObject, name: string): string | undefined => {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw kmsErrors.serialization(`${name} must be a string`);
  return value;
};

export const requiredString = (input: JsonObject, name: string): string => {
  const value = optionalString(input, name);
  if (value === undefined) throw missing(name);
  return value;
};

export const requiredBlob = (input: JsonObject, name: string): Buffer => {
  const encoded = requiredString(input, name);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    throw kmsErrors.serialization(`${name} is not valid base64`);
  }
  return Buffer.from(encoded, 'base64');
};

/** A string-to-string map, such as an encryption context; absent is empty. */
export const optionalStringMap = (input: JsonObject, name: string): Record<string, string> => {
  const value = input[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((entry) => typeof entry !== 'string')) {
    throw kmsErrors.serialization(`${name} must be a map of strings`);
  }
  return value as Record<string, string>;
};

export const oneOf = <T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined => {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw kmsErrors.validation(
      `1 validation error detected: Value '${value}' at '${lowerFirst(name)}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
    );
  }
  return value as T;
};
