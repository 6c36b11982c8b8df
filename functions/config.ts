/**
 * Runtime configuration, read once per container from the environment the CDK stack
 * (or the local stack, or `sam local`) sets. The one place that knows variable names.
 */
export type SigningAlg = 'RS256' | 'ES256';

export interface RuntimeConfig {
  tableName: string;
  /** Issuer URL with trailing slash. Required: a Host header is the client's to choose. */
  issuer: string;
  signingKeyId: string;
  signingAlg: SigningAlg;
  retiredKeyIds: string[];
  /** The symmetric key of the connection secrets; Decrypt also works without it (the ciphertext names its key). */
  secretsKeyId: string | undefined;
  configCacheTtlMs: number;
  providerTimeoutMs: number;
  accessTokenTtlSeconds: number;
  /** Per-attempt DynamoDB request timeout (3 attempts). */
  dynamoTimeoutMs: number;
  /** An ID token with an unknown `kid` refetches the provider's JWKS at most this often (DESIGN section 10). */
  jwksCooldownMs: number;
  /** Behind CloudFront (`edge=waf`): the secret every request must carry (DESIGN section 12). */
  originVerifySecret?: string;
}

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

const positiveInteger = (env: NodeJS.ProcessEnv, name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new ConfigurationError(`${name} must be a non-negative integer (got ${JSON.stringify(raw)})`);
  return value;
};

const required = (env: NodeJS.ProcessEnv, name: string): string => {
  const value = env[name];
  if (!value) throw new ConfigurationError(`${name} is not set`);
  return value;
};

export const withTrailingSlash = (url: string): string => (url.endsWith('/') ? url : `${url}/`);

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): RuntimeConfig => {
  const alg = env.SIGNING_ALG ?? 'RS256';
  if (alg !== 'RS256' && alg !== 'ES256') throw new ConfigurationError(`SIGNING_ALG must be RS256 or ES256 (got ${JSON.stringify(alg)})`);
  return {
    tableName: required(env, 'TABLE_NAME'),
    issuer: withTrailingSlash(required(env, 'ISSUER')),
    signingKeyId: env.SIGNING_KEY_ID ?? '',
    signingAlg: alg,
    retiredKeyIds: (env.RETIRED_KEY_IDS ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean),
    secretsKeyId: env.SECRETS_KEY_ID || undefined,
    configCacheTtlMs: positiveInteger(env, 'CONFIG_CACHE_TTL_SECONDS', 30) * 1000,
    providerTimeoutMs: positiveInteger(env, 'PROVIDER_TIMEOUT_MS', 5000),
    accessTokenTtlSeconds: positiveInteger(env, 'ACCESS_TOKEN_TTL_SECONDS', 86_400),
    // DynamoDB answers in milliseconds; 1 s per attempt keeps 3 attempts inside the budget.
    // DynamoDB Local on a busy laptop is far slower, so the local stack raises it.
    dynamoTimeoutMs: positiveInteger(env, 'DYNAMODB_TIMEOUT_MS', 1_000),
    jwksCooldownMs: positiveInteger(env, 'JWKS_REFETCH_COOLDOWN_SECONDS', 60) * 1000,
    ...(env.ORIGIN_VERIFY_SECRET ? { originVerifySecret: env.ORIGIN_VERIFY_SECRET } : {}),
  };
};
