import * as v from 'valibot';
import { LEGACY_ACCESS_TOKEN_GRANT } from './errors.js';
import { KNOWN_GRANT_TYPES } from './grant-types.js';
import { isStrategy, STRATEGIES, strategies, type Strategy } from './strategies.js';

/**
 * The tenant file (DESIGN section 3): clients and connections. Its format is a public
 * contract; this schema is the single definition used by the loader, the CLI and the store.
 */
const nonEmpty = (what: string) => v.pipe(v.string(`${what} must be a string`), v.trim(), v.nonEmpty(`${what} must not be empty`));

const identifier = (what: string) =>
  v.pipe(
    nonEmpty(what),
    v.maxLength(128, `${what} must be at most 128 characters`),
    v.regex(/^[A-Za-z0-9][A-Za-z0-9._:@|-]*$/, `${what} may only contain letters, digits and . _ : @ | -`),
  );

const lifetime = (what: string, min: number, max: number) =>
  v.pipe(
    v.number(`${what} must be a number of seconds`),
    v.integer(`${what} must be a whole number of seconds`),
    v.minValue(min, `${what} must be at least ${min} seconds`),
    v.maxValue(max, `${what} must be at most ${max} seconds`),
  );

const httpUrl = v.pipe(
  v.string('an endpoint must be a URL string'),
  v.url('an endpoint must be an absolute URL'),
  v.check((value) => /^https?:\/\//i.test(value), 'an endpoint must be an http or https URL'),
);

const knownGrantType = v.pipe(
  nonEmpty('a grant type'),
  v.check(
    (grant) => KNOWN_GRANT_TYPES.includes(grant),
    (issue) => `unknown grant type ${JSON.stringify(issue.input)} (known: ${KNOWN_GRANT_TYPES.join(', ')})`,
  ),
);


/**
 * An origin exactly as a browser serialises it (RFC 6454 section 6.1): lower-case scheme and
 * host, an optional port, nothing after. Custom schemes (`capacitor://localhost`,
 * `ionic://localhost`) are what Capacitor and Ionic web views send. `*` and `null` are refused:
 * a wildcard would hand every site the user's tokens, and `null` is what sandboxed pages send.
 */
const ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)(:\d{1,5})?$/;
const originSchema = v.pipe(
  v.string('an allowed origin must be a string'),
  v.check((value) => ORIGIN.test(value), 'an allowed origin must be scheme://host[:port] in lower case, without a path or a trailing slash'),
);

const limitSchema = (what: string) =>
  v.pipe(
    v.number(`${what} must be a number`),
    v.integer(`${what} must be a whole number`),
    v.minValue(0, `${what} must be 0 (off) or more`),
    v.maxValue(1_000_000, `${what} must be at most 1000000`),
  );

// Strict objects: a misspelt key (`grant_type`, `client`) must be an error, not a silently
// ignored setting.
const ClientSchema = v.strictObject({
  client_id: identifier('client_id'),
  name: v.optional(v.pipe(v.string('name must be a string'), v.maxLength(256, 'name must be at most 256 characters'))),
  grant_types: v.optional(v.array(knownGrantType, 'grant_types must be an array of strings'), []),
  connections: v.optional(v.array(identifier('a connection name'), 'connections must be an array of strings'), []),
  id_token_lifetime: v.optional(
    v.pipe(
      v.number('id_token_lifetime must be a number of seconds'),
      v.integer('id_token_lifetime must be a whole number of seconds'),
      v.minValue(60, 'id_token_lifetime must be at least 60 seconds'),
      v.maxValue(2_592_000, 'id_token_lifetime must be at most 2592000 seconds (30 days)'),
    ),
    36_000,
  ),
  /**
   * Browser origins (DESIGN section 12) allowed to call the token endpoints and /userinfo for
   * this client: exact `scheme://host[:port]`, as browsers send them in `Origin`.
   */
  allowed_origins: v.optional(v.array(originSchema, 'allowed_origins must be an array of origins')),
  /** Limits on provider-calling requests (DESIGN section 12); a missing key takes its default, 0 disables. */
  rate_limits: v.optional(
    v.strictObject(
      {
        per_ip_failures_per_minute: v.optional(limitSchema('rate_limits.per_ip_failures_per_minute')),
        per_client_per_second: v.optional(limitSchema('rate_limits.per_client_per_second')),
      },
      'rate_limits must be an object',
    ),
  ),
  /**
   * Refresh-token lifetimes in seconds (DESIGN section 11); absent keys take the defaults of
   * `refreshTokenPolicy`. No default object here, so ClientConfig values built in code stay valid.
   */
  refresh_token: v.optional(
    v.strictObject({
      idle_lifetime: v.optional(lifetime('refresh_token.idle_lifetime', 60, 31_536_000)),
      absolute_lifetime: v.optional(lifetime('refresh_token.absolute_lifetime', 60, 31_536_000)),
      leeway: v.optional(lifetime('refresh_token.leeway', 0, 300)),
    }),
  ),
  /**
   * Automatic linking by email is deliberately not offered (account takeover through an
   * unverified or recycled address; docs/linking.md): the key exists so that asking for it
   * fails loudly instead of being ignored.
   */
  link_by_verified_email: v.optional(
    v.literal(false, 'link_by_verified_email: automatic linking by email is not supported; link accounts with `npm run users -- link`'),
    false,
  ),
});

const ConnectionOptionsSchema = v.strictObject({
  client_id: nonEmpty('options.client_id'),
  client_secret: v.optional(nonEmpty('options.client_secret')),
  endpoints: v.optional(v.record(v.string(), httpUrl, 'options.endpoints must be an object of URLs')),
  allowed_audiences: v.optional(v.array(nonEmpty('an allowed audience'), 'options.allowed_audiences must be an array of strings')),
  // DESIGN section 10: ID tokens (apple, google-oauth2, facebook) and Apple's code exchange.
  require_nonce: v.optional(v.boolean('options.require_nonce must be true or false')),
  team_id: v.optional(nonEmpty('options.team_id')),
  key_id: v.optional(nonEmpty('options.key_id')),
  private_key: v.optional(
    v.pipe(
      nonEmpty('options.private_key'),
      v.check(
        (pem) => /^-----BEGIN PRIVATE KEY-----[\s\S]+-----END PRIVATE KEY-----$/.test(pem),
        'options.private_key must be the PKCS#8 PEM of the .p8 file (-----BEGIN PRIVATE KEY----- ...)',
      ),
    ),
  ),
});

/** Options only the apple strategy reads: elsewhere they would be silently ignored, so they are refused. */
const APPLE_ONLY_OPTIONS = ['team_id', 'key_id', 'private_key'] as const;

/**
 * Mistakes of one connection's options that need the strategy to see: each a sentence
 * that says what to fix (`npm run tenant -- validate` prints them).
 */
const strategyProblems = (strategy: Strategy, options: v.InferOutput<typeof ConnectionOptionsSchema>): Array<[string, string]> => {
  const problems: Array<[string, string]> = [];
  const facts = STRATEGIES[strategy];
  if (facts.requiresClientSecret && options.client_secret === undefined) {
    problems.push(['client_secret', 'options.client_secret is required for this strategy']);
  }
  const unknownEndpoints = Object.keys(options.endpoints ?? {}).filter((name) => !Object.hasOwn(facts.endpoints, name));
  if (unknownEndpoints.length > 0) {
    problems.push([
      'endpoints',
      `options.endpoints has a name this strategy does not use (${unknownEndpoints.join(', ')}; known: ${Object.keys(facts.endpoints).join(', ')})`,
    ]);
  }
  if (options.require_nonce !== undefined && !facts.subjectKinds.includes('id_token')) {
    problems.push(['require_nonce', 'options.require_nonce only applies to strategies with ID tokens (apple, google-oauth2, facebook)']);
  }
  if (strategy !== 'apple') {
    for (const name of APPLE_ONLY_OPTIONS) {
      if (options[name] !== undefined) problems.push([name, `options.${name} is only used by the apple strategy`]);
    }
    return problems;
  }
  if (options.client_secret !== undefined) {
    problems.push(['client_secret', 'options.client_secret is not used by apple: give team_id, key_id and private_key, from which the client secret is signed']);
  }
  const signing = { team_id: options.team_id, key_id: options.key_id, private_key: options.private_key };
  const given = Object.entries(signing).filter(([, value]) => value !== undefined).map(([name]) => name);
  if (given.length > 0 && given.length < 3) {
    for (const [name, value] of Object.entries(signing)) {
      if (value === undefined) {
        problems.push([
          name,
          `options.${name} is required when ${given.map((n) => `options.${n}`).join(' and ')} ${given.length === 1 ? 'is' : 'are'} set: Apple's client secret (for authorization codes and revocation) is an ES256 JWT signed with private_key, naming key_id and team_id`,
        ]);
      }
    }
  }
  return problems;
};

const ConnectionSchema = v.pipe(
  v.strictObject({
    name: identifier('name'),
    strategy: v.pipe(
      v.string('strategy must be a string'),
      v.check(isStrategy, `strategy must be one of: ${strategies.join(', ')}`),
    ),
    options: ConnectionOptionsSchema,
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed || !isStrategy(dataset.value.strategy)) return; // already reported
    for (const [key, message] of strategyProblems(dataset.value.strategy, dataset.value.options)) {
      addIssue({
        message,
        path: [
          { type: 'object', origin: 'value', input: dataset.value, key: 'options', value: dataset.value.options },
          { type: 'object', origin: 'value', input: dataset.value.options, key, value: dataset.value.options[key as keyof typeof dataset.value.options] },
        ],
      });
    }
  }),
);

// Checks between entries (unique names, enabled connections defined) are not part of the
// schema: a pipe stops at the first schema error, and they must be reported in the same run.
export const TenantSchema = v.strictObject(
  {
    clients: v.optional(v.array(ClientSchema, 'clients must be an array'), []),
    connections: v.optional(v.array(ConnectionSchema, 'connections must be an array'), []),
  },
  'the tenant file must be a JSON object',
);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The cross-references of the raw document, naming the client and connection involved. Runs
 * even when fields have schema errors; entries whose own name is malformed are skipped, since
 * the schema reports those.
 */
const crossReferenceProblems = (input: unknown): string[] => {
  const document = isRecord(input) ? input : {};
  const listOf = (key: string) => (Array.isArray(document[key]) ? (document[key] as unknown[]) : []);
  const nameOf = (entry: unknown, key: string) =>
    isRecord(entry) && typeof entry[key] === 'string' ? (entry[key] as string).trim() : undefined;
  const problems: string[] = [];
  const indexBy = (list: unknown[], section: string, key: string, what: string) => {
    const first = new Map<string, number>();
    list.forEach((entry, index) => {
      const name = nameOf(entry, key);
      if (name === undefined || name === '') return;
      const earlier = first.get(name);
      if (earlier === undefined) first.set(name, index);
      else problems.push(`${section}.${index}.${key}: ${what} "${name}" is defined twice (also ${section}.${earlier})`);
    });
    return first;
  };
  const clients = listOf('clients');
  indexBy(clients, 'clients', 'client_id', 'client');
  const defined = indexBy(listOf('connections'), 'connections', 'name', 'connection');
  clients.forEach((client, index) => {
    const enabled = isRecord(client) && Array.isArray(client.connections) ? (client.connections as unknown[]) : [];
    const clientName = nameOf(client, 'client_id') || `#${index}`;
    enabled.forEach((connection, position) => {
      if (typeof connection !== 'string' || defined.has(connection.trim())) return;
      problems.push(
        `clients.${index}.connections.${position}: client "${clientName}" enables connection "${connection}", which is not defined in connections`,
      );
    });
  });
  return problems;
};

export type ClientConfig = v.InferOutput<typeof ClientSchema>;
/** `options` of a connection in the tenant file (DESIGN sections 3 and 10). */
export interface ConnectionOptions {
  /** Facebook app id, Google OAuth client id, Twitter consumer key, Weibo app key, Apple App ID (bundle id). */
  client_id: string;
  /** Facebook app secret, Google client secret, Twitter consumer secret, Weibo app secret (Apple: none). */
  client_secret: string;
  /** Provider URLs by endpoint name; missing names fall back to the real provider URLs. */
  endpoints?: Record<string, string>;
  /** Extra client ids whose tokens are ours too (Google Android/iOS clients, an Apple Services ID). */
  allowed_audiences?: string[];
  /** ID tokens must carry a nonce, and the request its raw value. */
  require_nonce?: boolean;
  /** Apple: Team ID, Key ID and the .p8 PKCS#8 PEM that sign the client secret. */
  team_id?: string;
  key_id?: string;
  private_key?: string;
}

export interface ConnectionConfig {
  name: string;
  strategy: Strategy;
  options: ConnectionOptions;
}
export interface Tenant {
  clients: ClientConfig[];
  connections: ConnectionConfig[];
}

export class TenantFileError extends Error {
  override readonly name = 'TenantFileError';
  constructor(readonly problems: string[]) {
    super(`invalid tenant file:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Validates a parsed tenant document; throws TenantFileError naming each bad field. */
export const parseTenant = (input: unknown): Tenant => {
  if (Array.isArray(input)) throw new TenantFileError(['the tenant file must be a JSON object']);
  const result = v.safeParse(TenantSchema, input);
  const problems = result.success
    ? []
    : result.issues.map((issue) => {
        const path = v.getDotPath(issue);
        // strictObject reports an unexpected key with the object's own message.
        const message = issue.kind === 'schema' && issue.expected === 'never' ? 'unknown key (check its spelling)' : issue.message;
        return path ? `${path}: ${message}` : message;
      });
  problems.push(...crossReferenceProblems(input));
  if (!result.success || problems.length > 0) throw new TenantFileError(problems);
  const tenant = result.output;
  return {
    clients: tenant.clients,
    connections: tenant.connections.map((connection) => ({
      name: connection.name,
      strategy: connection.strategy as Strategy,
      options: stripUndefined(connection.options) as ConnectionOptions,
    })),
  };
};

/** Parses tenant JSON text (the file's content). */
export const parseTenantJson = (text: string): Tenant => {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new TenantFileError([`the tenant file is not valid JSON (${(error as Error).message})`]);
  }
  return parseTenant(document);
};

const stripUndefined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;

export const hasLegacyGrant = (client: ClientConfig): boolean => client.grant_types.includes(LEGACY_ACCESS_TOKEN_GRANT);

export type { Strategy };

// The limits' defaults live in rate-limits.ts, which the token bundle takes without this schema.
export { attemptLimitsOf, DEFAULT_RATE_LIMITS } from './rate-limits.js';

// Refresh-token lifetimes live in refresh-policy.ts, which the token bundles take without this schema.
export { refreshTokenPolicy, type RefreshTokenPolicy } from './refresh-policy.js';
