import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { FACEBOOK_TEST_TOKENS, FACEBOOK_USERS } from '../../infra/local/emulators/facebook.js';
import { GOOGLE_TEST_TOKENS, GOOGLE_USERS } from '../../infra/local/emulators/google.js';
import { TWITTER_TEST_TOKENS } from '../../infra/local/emulators/twitter.js';
import { WEIBO_TEST_TOKENS } from '../../infra/local/emulators/weibo.js';
import { createUserAdmin, type UserAdmin } from '../../functions/store/user-admin.js';
import { UserAdminError } from '../../functions/store/user-records.js';
import { isTransactionConflict, retryOnTransactionConflict } from '../../functions/store/conflict-retry.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { postToken, startTestStack } from '../support/stack.js';

/** The emulators' users, each with its Auth0 user id and the exchange fields that log it in. */
const accounts = {
  fbAlice: { id: `facebook|${FACEBOOK_USERS.alice.id}`, fields: { connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.alice } },
  fbBob: { id: `facebook|${FACEBOOK_USERS.bob.id}`, fields: { connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.bobNoEmail } },
  gAlice: { id: `google-oauth2|${GOOGLE_USERS.alice.sub}`, fields: { connection: 'google-oauth2', access_token: GOOGLE_TEST_TOKENS.alice } },
  gBob: { id: `google-oauth2|${GOOGLE_USERS.bob.sub}`, fields: { connection: 'google-oauth2', access_token: GOOGLE_TEST_TOKENS.bobNoEmail } },
  gCarol: { id: `google-oauth2|${GOOGLE_USERS.carol.sub}`, fields: { connection: 'google-oauth2', access_token: GOOGLE_TEST_TOKENS.carolAndroid } },
  twAda: {
    id: `twitter|${TWITTER_TEST_TOKENS.ada.userId}`,
    fields: { connection: 'twitter', access_token: TWITTER_TEST_TOKENS.ada.token, access_token_secret: TWITTER_TEST_TOKENS.ada.secret },
  },
  twGrace: {
    id: `twitter|${TWITTER_TEST_TOKENS.grace.userId}`,
    fields: { connection: 'twitter', access_token: TWITTER_TEST_TOKENS.grace.token, access_token_secret: TWITTER_TEST_TOKENS.grace.secret },
  },
  wbLin: { id: `weibo|${WEIBO_TEST_TOKENS.lin.uid}`, fields: { connection: 'weibo', access_token: WEIBO_TEST_TOKENS.lin.token } },
  wbZhou: { id: `weibo|${WEIBO_TEST_TOKENS.zhou.uid}`, fields: { connection: 'weibo', access_token: WEIBO_TEST_TOKENS.zhou.token } },
} as const;
type Account = (typeof accounts)[keyof typeof accounts];

interface Harness {
  stack: LocalStack;
  db: DynamoDBDocumentClient;
  admin: UserAdmin;
  login(account: Account): Promise<{ sub: string; claims: JWTPayload; accessToken: string }>;
  userinfo(accessToken: string): Promise<{ status: number; body: Record<string, unknown> }>;
  item(pk: string, sk: string): Promise<Record<string, unknown> | undefined>;
  scan(): Promise<Array<Record<string, unknown>>>;
}

const startHarness = async (): Promise<Harness> => {
  const stack = await startTestStack();
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1' }));
  const jwks = createRemoteJWKSet(new URL(`${stack.url}/.well-known/jwks.json`));
  return {
    stack,
    db,
    admin: createUserAdmin({ client: db, tableName: stack.tableName }),
    async login(account) {
      const { status, body } = await postToken(stack, { client_id: 'my-app', scope: 'openid profile email', ...account.fields });
      expect(status, JSON.stringify(body)).toBe(200);
      const { payload } = await jwtVerify(body.id_token as string, jwks, { issuer: stack.issuer, audience: 'my-app' });
      return { sub: payload.sub!, claims: payload, accessToken: body.access_token as string };
    },
    async userinfo(accessToken) {
      const response = await fetch(`${stack.url}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    async item(pk, sk) {
      return (await db.send(new GetCommand({ TableName: stack.tableName, Key: { pk, sk }, ConsistentRead: true }))).Item;
    },
    async scan() {
      const items: Array<Record<string, unknown>> = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await db.send(new ScanCommand({ TableName: stack.tableName, ConsistentRead: true, ExclusiveStartKey: start }));
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      return items;
    },
  };
};

const userKey = (id: string) => [`USER#${id}`, 'PROFILE'] as const;
const identityKey = (id: string) => [`IDENTITY#${id}`, 'IDENTITY'] as const;
const entryOf = (id: string, connection: string) => {
  const [provider, user_id] = id.split('|') as [string, string];
  return { provider, user_id, connection };
};

/**
 * The linking invariants over the whole table: every identity belongs to exactly one user,
 * and the identity item, the tombstone and the primary's `identities` list agree.
 */
const expectConsistentLinks = async (harness: Harness) => {
  const items = await harness.scan();
  const users = new Map(items.filter((item) => String(item.pk).startsWith('USER#')).map((item) => [String(item.pk).slice(5), item]));
  const identities = items.filter((item) => String(item.pk).startsWith('IDENTITY#'));
  const listed = new Map<string, string>();
  for (const [userId, user] of users) {
    if (user.linked_to !== undefined) {
      expect(Object.keys(user).sort(), `tombstone ${userId}`).toEqual(['linked_to', 'pk', 'sk', 'type']);
      continue;
    }
    for (const entry of user.identities as Array<{ provider: string; user_id: string }>) {
      const id = `${entry.provider}|${entry.user_id}`;
      expect(listed.has(id), `${id} listed by ${listed.get(id)} and ${userId}`).toBe(false);
      listed.set(id, userId);
    }
  }
  for (const identity of identities) {
    const ownId = String(identity.pk).slice('IDENTITY#'.length);
    const owner = identity.user_id as string;
    expect(listed.get(ownId), `the user listing ${ownId}`).toBe(owner);
    expect(users.get(owner)?.linked_to, `${owner} is a user`).toBeUndefined();
    if (owner === ownId) expect(users.get(ownId)?.linked_to).toBeUndefined();
    else expect(users.get(ownId), `tombstone of ${ownId}`).toEqual({ pk: `USER#${ownId}`, sk: 'PROFILE', type: 'user', linked_to: owner });
  }
  for (const [userId, user] of users) {
    if (user.linked_to !== undefined) {
      expect(identities.find((identity) => identity.pk === `IDENTITY#${userId}`)?.user_id, `identity of tombstone ${userId}`).toBe(user.linked_to);
    }
  }
};

const refusal = async (promise: Promise<unknown>): Promise<UserAdminError> => {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(UserAdminError);
  return error as UserAdminError;
};

describe('account linking through the exchange', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.stack.stop());

  it('makes the secondary identity log in as the primary, with the primary claims', async () => {
    const primary = accounts.gAlice;
    const secondary = accounts.fbAlice;
    expect((await h.login(primary)).sub).toBe(primary.id);
    const before = await h.login(secondary);
    expect(before.sub).toBe(secondary.id);
    const primaryLogins = (await h.item(...userKey(primary.id)))!.logins_count as number;

    const linked = await h.admin.link(primary.id, secondary.id);
    expect(linked.identities.map(({ provider, user_id, linked }) => ({ provider, user_id, linked }))).toEqual([
      { provider: 'google-oauth2', user_id: GOOGLE_USERS.alice.sub, linked: false },
      { provider: 'facebook', user_id: FACEBOOK_USERS.alice.id, linked: true },
    ]);
    expect(await h.item(...userKey(secondary.id))).toEqual({ pk: `USER#${secondary.id}`, sk: 'PROFILE', type: 'user', linked_to: primary.id });
    expect((await h.item(...identityKey(secondary.id)))!.user_id).toBe(primary.id);
    expect((await h.item(...userKey(primary.id)))!.identities).toEqual([
      entryOf(primary.id, 'google-oauth2'),
      entryOf(secondary.id, 'facebook'),
    ]);

    const after = await h.login(secondary);
    expect(after.sub).toBe(primary.id);
    // The primary's profile, not Facebook's: Google's verified address and picture.
    expect(after.claims).toMatchObject({
      name: GOOGLE_USERS.alice.name,
      email: GOOGLE_USERS.alice.email,
      email_verified: true,
      picture: GOOGLE_USERS.alice.picture,
      locale: 'en',
    });
    const userinfo = await h.userinfo(after.accessToken);
    expect(userinfo.status).toBe(200);
    expect(userinfo.body).toMatchObject({ sub: primary.id, email: GOOGLE_USERS.alice.email, name: GOOGLE_USERS.alice.name });
    // A token issued to the secondary before the link names a user that no longer exists.
    expect((await h.userinfo(before.accessToken)).status).toBe(401);

    const primaryItem = (await h.item(...userKey(primary.id)))!;
    expect(primaryItem.logins_count).toBe(primaryLogins + 1);
    expect((primaryItem.profile as Record<string, unknown>).email).toBe(GOOGLE_USERS.alice.email);
    expect((await h.item(...identityKey(secondary.id)))!.logins_count).toBe(2);
    await expectConsistentLinks(h);
  });

  it('unlinks: the identity becomes a user of its own again, with its own profile', async () => {
    const primary = accounts.gBob;
    const secondary = accounts.fbBob;
    await h.login(primary);
    await h.login(secondary);
    await h.admin.link(primary.id, secondary.id);
    expect((await h.login(secondary)).sub).toBe(primary.id);

    const { primary: after, unlinked } = await h.admin.unlink(primary.id, secondary.id);
    expect(after.identities.map((identity) => identity.provider)).toEqual(['google-oauth2']);
    expect(unlinked).toMatchObject({
      user_id: secondary.id,
      profile: { name: FACEBOOK_USERS.bob.name },
      identities: [{ provider: 'facebook', user_id: FACEBOOK_USERS.bob.id, connection: 'facebook', linked: false, logins_count: 2 }],
    });
    expect((await h.item(...identityKey(secondary.id)))!.user_id).toBe(secondary.id);
    expect((await h.item(...userKey(secondary.id)))!.linked_to).toBeUndefined();

    const again = await h.login(secondary);
    expect(again.sub).toBe(secondary.id);
    expect(again.claims.name).toBe(FACEBOOK_USERS.bob.name);
    expect((await h.userinfo(again.accessToken)).body.sub).toBe(secondary.id);
    await expectConsistentLinks(h);
  });

  it('refuses links that would move, chain or loop identities, and changes nothing then', async () => {
    const [a, b, c, d] = [accounts.twAda, accounts.twGrace, accounts.wbLin, accounts.wbZhou];
    for (const account of [a, b, c, d]) await h.login(account);
    await h.admin.link(a.id, c.id);
    const snapshot = await h.scan();

    const cases: Array<[() => Promise<unknown>, UserAdminError['code'], RegExp]> = [
      [() => h.admin.link(b.id, c.id), 'already_linked', new RegExp(`already linked to ${escape(a.id)}: unlink it there first`)],
      [() => h.admin.link(a.id, c.id), 'already_linked', /already linked to/],
      [() => h.admin.link(d.id, a.id), 'has_linked_identities', /has linked identities of its own/],
      [() => h.admin.link(c.id, d.id), 'primary_is_linked', new RegExp(`is itself linked to ${escape(a.id)}`)],
      [() => h.admin.link(a.id, a.id), 'same_user', /to itself/],
      [() => h.admin.link(a.id, 'google-oauth2|123'), 'not_found', /google-oauth2\|123 not found/],
      [() => h.admin.link('facebook|123', b.id), 'not_found', /facebook\|123 not found/],
      [() => h.admin.link('alice', b.id), 'invalid_user_id', /expected <strategy>\|<id>/],
      [() => h.admin.link('myspace|1', b.id), 'invalid_user_id', /unknown strategy "myspace"/],
      [() => h.admin.unlink(a.id, b.id), 'not_linked', /is not linked to/],
      [() => h.admin.unlink(a.id, a.id), 'own_identity', /own identity/],
      [() => h.admin.unlink(c.id, d.id), 'not_a_user', /is not a user/],
      [() => h.admin.deleteUser(c.id), 'not_a_user', new RegExp(`linked to ${escape(a.id)}`)],
      [() => h.admin.getUser(c.id), 'not_a_user', /is not a user/],
    ];
    for (const [promise, code, message] of cases) {
      const error = await refusal(promise());
      expect({ code: error.code, message: error.message }).toEqual({ code, message: expect.stringMatching(message) });
    }
    const unchanged = await h.scan();
    expect(unchanged).toEqual(expect.arrayContaining(snapshot));
    expect(unchanged).toHaveLength(snapshot.length);
    await expectConsistentLinks(h);
  });
});

describe('deleting a user', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.stack.stop());

  it('deletes its identities, their tombstones and every access token of them', async () => {
    const primary = accounts.gAlice;
    const secondary = accounts.fbAlice;
    const bystander = accounts.gBob;
    const tokens = [await h.login(primary), await h.login(secondary)];
    await h.admin.link(primary.id, secondary.id);
    tokens.push(await h.login(secondary), await h.login(primary));
    const other = await h.login(bystander);
    const countBefore = (await h.scan()).length;

    const report = await h.admin.deleteUser(primary.id);
    // Found through the by_user index, without a Scan (no sessions: no offline_access here).
    expect(report).toEqual({ user_id: primary.id, identities: [primary.id, secondary.id], access_tokens: 4, refresh_tokens: 0, sessions: 0 });
    const left = await h.scan();
    const mentions = left.filter((item) => [primary.id, secondary.id].some((id) => JSON.stringify(item).includes(id)));
    expect(mentions).toEqual([]);
    expect(left).toHaveLength(countBefore - 4 - 4); // USER + tombstone + 2 IDENTITY, 4 tokens
    for (const { accessToken } of tokens) expect((await h.userinfo(accessToken)).status).toBe(401);
    expect((await h.userinfo(other.accessToken)).body.sub).toBe(bystander.id);
    expect((await refusal(h.admin.getUser(primary.id))).code).toBe('not_found');
    expect((await refusal(h.admin.deleteUser(primary.id))).code).toBe('not_found');

    // The provider accounts still exist: a new login starts a new, unlinked user.
    expect((await h.login(secondary)).sub).toBe(secondary.id);
    await expectConsistentLinks(h);
  });
});

describe('linking races', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.stack.stop());

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('20 logins of the secondary racing one link: each login lands wholly before or after it', async () => {
    const primary = accounts.gCarol;
    const secondary = accounts.fbBob;
    await h.login(primary);
    await h.login(secondary);
    const primaryBefore = (await h.item(...userKey(primary.id)))!.logins_count as number;

    const logins = Array.from({ length: 20 }, (_, index) => sleep(index * 4).then(() => h.login(secondary)));
    const link = sleep(25).then(() => h.admin.link(primary.id, secondary.id));
    const results = await Promise.all(logins);
    await link;

    for (const { sub, claims } of results) {
      expect([secondary.id, primary.id]).toContain(sub);
      // The claims always belong to the sub they came with.
      expect(claims.name).toBe(sub === primary.id ? GOOGLE_USERS.carol.name : FACEBOOK_USERS.bob.name);
    }
    const onPrimary = results.filter((result) => result.sub === primary.id).length;
    expect((await h.item(...userKey(primary.id)))!.logins_count).toBe(primaryBefore + onPrimary);
    expect((await h.item(...identityKey(secondary.id)))!.logins_count).toBe(21);
    expect((await h.item(...userKey(primary.id)))!.identities).toEqual([entryOf(primary.id, 'google-oauth2'), entryOf(secondary.id, 'facebook')]);
    expect((await h.login(secondary)).sub).toBe(primary.id);
    await expectConsistentLinks(h);
  });

  it('logins racing an unlink end on the primary before it or on the identity itself after it', async () => {
    const primary = accounts.twAda;
    const secondary = accounts.wbLin;
    await h.login(primary);
    await h.login(secondary);
    await h.admin.link(primary.id, secondary.id);

    const logins = Array.from({ length: 10 }, (_, index) => sleep(index * 6).then(() => h.login(secondary)));
    const unlink = sleep(20).then(() => h.admin.unlink(primary.id, secondary.id));
    const results = await Promise.all(logins);
    await unlink;

    for (const { sub } of results) expect([secondary.id, primary.id]).toContain(sub);
    expect((await h.item(...identityKey(secondary.id)))!.user_id).toBe(secondary.id);
    expect((await h.item(...userKey(primary.id)))!.identities).toEqual([entryOf(primary.id, 'twitter')]);
    expect((await h.login(secondary)).sub).toBe(secondary.id);
    await expectConsistentLinks(h);
  });

  it('links one identity to two primaries at once: exactly one wins, the other is refused', async () => {
    const secondary = accounts.wbZhou;
    const [first, second] = [accounts.twGrace, accounts.gAlice];
    for (const account of [secondary, first, second]) await h.login(account);

    const outcomes = await Promise.allSettled([h.admin.link(first.id, secondary.id), h.admin.link(second.id, secondary.id)]);
    const winners = outcomes.flatMap((outcome, index) => (outcome.status === 'fulfilled' ? [[first, second][index]!] : []));
    expect(winners).toHaveLength(1);
    const refused = outcomes.find((outcome) => outcome.status === 'rejected')!;
    expect((refused.reason as UserAdminError).code).toBe('already_linked');
    expect((await h.login(secondary)).sub).toBe(winners[0]!.id);
    await expectConsistentLinks(h);
  });

  it('crossed links (A takes B while B takes A) never build a chain', async () => {
    const [a, b] = [accounts.fbAlice, accounts.gBob];
    await h.login(a);
    await h.login(b);
    const outcomes = await Promise.allSettled([h.admin.link(a.id, b.id), h.admin.link(b.id, a.id)]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const reason = (outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult).reason as UserAdminError;
    expect(['already_linked', 'primary_is_linked', 'has_linked_identities']).toContain(reason.code);
    const subs = new Set([(await h.login(a)).sub, (await h.login(b)).sub]);
    expect(subs.size).toBe(1);
    await expectConsistentLinks(h);
  });
});

describe('transaction conflict retry (DynamoDB Local serialises instead of conflicting)', () => {
  const conflict = Object.assign(new Error('conflict'), { name: 'TransactionConflictException' });
  const cancelled = (...codes: string[]) =>
    Object.assign(new Error('cancelled'), { name: 'TransactionCanceledException', CancellationReasons: codes.map((Code) => ({ Code })) });

  it('recognises conflicts but not failed conditions', () => {
    expect(isTransactionConflict(conflict)).toBe(true);
    expect(isTransactionConflict(cancelled('None', 'TransactionConflict'))).toBe(true);
    expect(isTransactionConflict(cancelled('ConditionalCheckFailed', 'TransactionConflict'))).toBe(false);
    expect(isTransactionConflict(Object.assign(new Error('x'), { name: 'ConditionalCheckFailedException' }))).toBe(false);
  });

  it('retries a conflicting write a bounded number of times', async () => {
    let calls = 0;
    await expect(retryOnTransactionConflict(async () => (++calls < 3 ? Promise.reject(conflict) : 'done'), { baseDelayMs: 1 })).resolves.toBe('done');
    expect(calls).toBe(3);
    calls = 0;
    await expect(retryOnTransactionConflict(async () => (++calls, Promise.reject(conflict)), { attempts: 3, baseDelayMs: 1 })).rejects.toBe(conflict);
    expect(calls).toBe(3);
  });
});

const escape = (text: string) => text.replace(/[|]/g, '\\|');
