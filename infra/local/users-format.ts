import type { DeleteReport, SessionSummary, UserDetails, UserPage } from '../../functions/store/user-admin.js';

/** Readable renderings of the users CLI's results (`--json` prints the objects instead). */

// Profile fields come from providers: a name with escape sequences must not drive the terminal.
const safe = (value: unknown): string =>
  value === undefined || value === null ? '-' : String(value).replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD');

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export const table = (header: string[], rows: unknown[][]): string[] => {
  const cells = [header, ...rows.map((row) => row.map(safe))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  return cells.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
};

export const formatUser = (user: UserDetails): string[] => {
  const { profile } = user;
  const email = profile.email === undefined ? undefined : `${profile.email}${profile.email_verified ? ' (verified)' : ' (not verified)'}`;
  const fields: Array<[string, unknown]> = [
    ['user_id', user.user_id],
    ['name', profile.name],
    ['nickname', profile.nickname],
    ['email', email],
    ['picture', profile.picture],
    ['created_at', user.created_at],
    ['updated_at', user.updated_at],
    ['last_login', user.last_login],
    ['logins_count', user.logins_count],
    ['blocked', user.blocked ? 'yes' : undefined],
  ];
  return [
    ...fields.filter(([, value]) => value !== undefined).map(([label, value]) => `${label.padEnd(13)}${safe(value)}`),
    '',
    ...table(
      ['IDENTITY', 'CONNECTION', 'LINK', 'LOGINS', 'LAST LOGIN', 'NAME'],
      user.identities.map((identity) => [
        `${identity.provider}|${identity.user_id}`,
        identity.connection,
        identity.linked ? 'linked' : 'own',
        identity.logins_count,
        identity.last_login,
        identity.linked ? identity.profile_data?.name : profile.name,
      ]),
    ),
  ];
};

export const formatPage = (page: UserPage): string[] => {
  if (page.users.length === 0) return ['no users'];
  return [
    ...table(
      ['USER ID', 'NAME', 'EMAIL', 'CONNECTIONS', 'LOGINS', 'LAST LOGIN'],
      page.users.map((user) => [user.user_id, user.name, user.email, user.connections.join(','), user.logins_count, user.last_login]),
    ),
    `(${count(page.users.length, 'user', 'users')}; ${page.cursor ? `next page: --cursor ${page.cursor}` : 'end of list'})`,
  ];
};

export const formatDeletion = (report: DeleteReport): string[] => [
  `deleted ${report.user_id}: ${count(report.identities.length, 'identity', 'identities')} (${report.identities.join(', ')}), ` +
    `${count(report.access_tokens, 'access token', 'access tokens')}, ${count(report.refresh_tokens, 'refresh token', 'refresh tokens')}, ` +
    count(report.sessions, 'session', 'sessions'),
  ...(report.provider_revocations ?? []).map((revocation) =>
    revocation.revoked
      ? `revoked the Apple refresh token of ${revocation.identity} at Apple`
      : `could not revoke the Apple refresh token of ${revocation.identity}: ${revocation.error ?? 'unknown error'}`,
  ),
];

export const formatSessions = (sessions: SessionSummary[]): string[] =>
  sessions.length === 0
    ? ['no sessions']
    : table(
        ['SESSION', 'CLIENT', 'STATE', 'IDENTITY', 'CREATED', 'LAST USED', 'EXPIRES'],
        sessions.map((s) => [s.family_id, s.client_id, s.state, s.identity, s.created_at, s.last_used_at, s.expires_at]),
      );
