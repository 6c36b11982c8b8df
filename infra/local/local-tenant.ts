import { LEGACY_ACCESS_TOKEN_GRANT } from '../../functions/core/errors.js';
import { REFRESH_TOKEN_GRANT, TOKEN_EXCHANGE_GRANT } from '../../functions/core/grant-types.js';
import type { ConnectionOptions, Tenant } from '../../functions/core/tenant.js';
import { APPLE_APP } from './emulators/apple.js';
import { FACEBOOK_APP } from './emulators/facebook.js';
import { GOOGLE_APP } from './emulators/google.js';
import { TWITTER_APP } from './emulators/twitter.js';
import { WEIBO_APP } from './emulators/weibo.js';

export interface EmulatorEndpoints {
  facebook: Record<string, string>;
  google: Record<string, string>;
  twitter: Record<string, string>;
  weibo: Record<string, string>;
  apple: Record<string, string>;
}

/** Ports `npm start` gives the provider emulators, so the committed tenant file can name them. */
export const DEFAULT_EMULATOR_PORTS = { facebook: 3001, google: 3002, twitter: 3003, weibo: 3004, apple: 3005 } as const;

/**
 * The local example tenant: one client with the legacy grant and all four connections,
 * one client without the grant, each connection pointed at its emulator. The committed
 * `tenant.local.json` is this function's output for the default ports (a test checks it).
 */
export const buildLocalTenant = (endpoints: EmulatorEndpoints): Tenant => ({
  clients: [
    {
      client_id: 'my-app',
      name: 'My app',
      grant_types: [LEGACY_ACCESS_TOKEN_GRANT, TOKEN_EXCHANGE_GRANT, REFRESH_TOKEN_GRANT],
      connections: ['facebook', 'google-oauth2', 'twitter', 'weibo', 'apple'],
      id_token_lifetime: 36000,
      link_by_verified_email: false,
    },
    {
      client_id: 'app-without-legacy-grant',
      name: 'An app that may not use the legacy grant',
      grant_types: [],
      connections: ['facebook'],
      id_token_lifetime: 36000,
      link_by_verified_email: false,
    },
  ],
  connections: [
    { name: 'facebook', strategy: 'facebook', options: { ...FACEBOOK_APP, endpoints: endpoints.facebook } },
    {
      name: 'google-oauth2',
      strategy: 'google-oauth2',
      options: {
        client_id: GOOGLE_APP.client_id,
        client_secret: GOOGLE_APP.client_secret,
        allowed_audiences: [...GOOGLE_APP.allowed_audiences],
        endpoints: endpoints.google,
      },
    },
    { name: 'twitter', strategy: 'twitter', options: { ...TWITTER_APP, endpoints: endpoints.twitter } },
    { name: 'weibo', strategy: 'weibo', options: { ...WEIBO_APP, endpoints: endpoints.weibo } },
    {
      name: 'apple',
      strategy: 'apple',
      options: {
        client_id: APPLE_APP.client_id,
        allowed_audiences: [APPLE_APP.services_id],
        team_id: APPLE_APP.team_id,
        key_id: APPLE_APP.key_id,
        private_key: APPLE_APP.private_key,
        endpoints: endpoints.apple,
        // Apple has no client secret of its own: it is signed from private_key per request.
      } as ConnectionOptions,
    },
  ],
});

/** `http://127.0.0.1:<default port>` of each emulator: what a committed tenant file names. */
const defaultOrigins = (): Array<[name: string, origin: string]> =>
  Object.entries(DEFAULT_EMULATOR_PORTS).map(([name, port]) => [name, `http://127.0.0.1:${port}`]);

/**
 * With EMULATOR_PORTS=free the emulators are not on their default ports, so a tenant file that
 * names those ports (the committed local tenant) would point the connections at nothing.
 * Endpoints on a default emulator port are moved to where that emulator runs now (`running`:
 * emulator name → its base URL); any other endpoint is left alone. Returns the tenant and the
 * names of the connections that were moved.
 */
export const followRunningEmulators = (tenant: Tenant, running: Record<string, string>): { tenant: Tenant; moved: string[] } => {
  const moves = defaultOrigins()
    .map(([name, origin]) => ({ from: origin, to: running[name] }))
    .filter((move): move is { from: string; to: string } => move.to !== undefined && move.to !== move.from);
  const moved: string[] = [];
  const connections = tenant.connections.map((connection) => {
    const endpoints = connection.options.endpoints;
    if (!endpoints) return connection;
    let changed = false;
    const next = Object.fromEntries(
      Object.entries(endpoints).map(([name, url]) => {
        const move = moves.find(({ from }) => url === from || url.startsWith(`${from}/`));
        if (!move) return [name, url];
        changed = true;
        return [name, `${move.to}${url.slice(move.from.length)}`];
      }),
    );
    if (!changed) return connection;
    moved.push(connection.name);
    return { ...connection, options: { ...connection.options, endpoints: next } };
  });
  return { tenant: { ...tenant, connections }, moved };
};

/** Each emulator's base URL, from the endpoint maps the emulators report. */
export const emulatorOrigins = (endpoints: EmulatorEndpoints): Record<string, string> =>
  Object.fromEntries(
    Object.entries(endpoints).flatMap(([name, map]) => {
      const first = Object.values(map)[0];
      return first ? [[name, new URL(first).origin]] : [];
    }),
  );
