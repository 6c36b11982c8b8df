import * as v from 'valibot';
import { LEGACY_ACCESS_TOKEN_GRANT } from './errors.js';
import { providers, isStrategy } from '../providers/registry.js';
import type { ConnectionOptions, Strategy } from '../providers/types.js';

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

// Strict objects: a misspelt key (`grant_type`, `client`) must be an error, not a silently
// ignored setting.
const ClientSchema = v.strictObject({
  client_id: identifier('client_id'),
  name: v.optional(v.pipe(v.string('name must be a string'), v.maxLength(256, 'name must be at most 256 characters'))),
  grant_types: v.optional(v.array(nonEmpty('a grant type'), 'grant_types must be an array of strings'), []),
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
});

const ConnectionSchema = v.pipe(
  v.strictObject({
    name: identifier('name'),
    strategy: v.pipe(
      v.string('strategy must be a string'),
      v.check(isStrategy, `strategy must be one of: ${Object.keys(providers).join(', ')}`),
    ),
    options: ConnectionOptionsSchema,
  }),
  v.forward(
    v.check(
      (connection) => connection.strategy === 'google-oauth2' || connection.options.client_secret !== undefined,
      'options.client_secret is required for this strategy',
    ),
    ['options', 'client_secret'],
  ),
  v.forward(
    v.check((connection) => {
      if (!isStrategy(connection.strategy)) return true; // already reported on `strategy`
      const known = Object.keys(providers[connection.strategy].defaultEndpoints);
      return Object.keys(connection.options.endpoints ?? {}).every((name) => known.includes(name));
    }, 'options.endpoints has a name this strategy does not use'),
    ['options', 'endpoints'],
  ),
);

export const TenantSchema = v.pipe(
  v.strictObject({
    clients: v.optional(v.array(ClientSchema, 'clients must be an array'), []),
    connections: v.optional(v.array(ConnectionSchema, 'connections must be an array'), []),
  }, 'the tenant file must be a JSON object'),
  v.forward(
    v.check((tenant) => unique(tenant.clients.map((c) => c.client_id)), 'client_id values must be unique'),
    ['clients'],
  ),
  v.forward(
    v.check((tenant) => unique(tenant.connections.map((c) => c.name)), 'connection names must be unique'),
    ['connections'],
  ),
  v.forward(
    v.check((tenant) => {
      const names = new Set(tenant.connections.map((c) => c.name));
      return tenant.clients.every((client) => client.connections.every((name) => names.has(name)));
    }, 'a client enables a connection that is not defined in connections'),
    ['clients'],
  ),
);

const unique = (values: string[]) => new Set(values).size === values.length;

export type ClientConfig = v.InferOutput<typeof ClientSchema>;
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
  if (!result.success) {
    throw new TenantFileError(
      result.issues.map((issue) => {
        const path = v.getDotPath(issue);
        // strictObject reports an unexpected key with the object's own message.
        const message = issue.kind === 'schema' && issue.expected === 'never' ? 'unknown key (check its spelling)' : issue.message;
        return path ? `${path}: ${message}` : message;
      }),
    );
  }
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

/** A client's refresh-token lifetimes with DESIGN section 11's defaults (15 days idle, 30 absolute, no leeway). */
export interface RefreshTokenPolicy {
  idleLifetime: number;
  absoluteLifetime: number;
  leeway: number;
}

export const refreshTokenPolicy = (client: ClientConfig): RefreshTokenPolicy => ({
  idleLifetime: client.refresh_token?.idle_lifetime ?? 1_296_000,
  absoluteLifetime: client.refresh_token?.absolute_lifetime ?? 2_592_000,
  leeway: client.refresh_token?.leeway ?? 0,
});
