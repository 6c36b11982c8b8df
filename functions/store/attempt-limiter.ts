import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { costProviderCall, errors } from '../core/errors.js';
import { logger } from '../core/logger.js';
import { isConditionalCheckFailure } from './dynamo.js';
import type { AttemptLimiter, AttemptLimits, AttemptSubject } from '../core/ports.js';

/**
 * DESIGN section 12 limits, counted in DynamoDB so every container sees the same numbers.
 *
 * Per client and IP, only *failed* verifications are counted (one atomic ADD per failure, in
 * a fixed one-minute window whose item expires by TTL). Nothing is read before a provider
 * call: a container blocks an IP once its own failure write comes back over the limit, so a
 * sign-in that succeeds costs no extra round trip and each container lets through at most one
 * extra call per IP before it learns of a block. Inside one container, requests of one IP that
 * are still running count as possible failures: a concurrent flood waits for a free slot
 * instead of all reaching the provider before the first failure is known (a Lambda container
 * runs one request at a time, so this only matters for multi-concurrency runtimes and tests).
 *
 * The optional per-client cap counts every provider-calling request with a conditional ADD
 * per second, before the call: exact across containers, at the price of one write per
 * request, paid only by clients that set `per_client_per_second`.
 *
 * A counter write that fails lets the request through (logged): the limits protect the
 * provider quota, and DynamoDB trouble is already answered by the user writes.
 */
const MINUTE_MS = 60_000;
/** Window items outlive their window a little, so a late TTL sweep never resets a live count. */
const TTL_SLACK_SECONDS = 120;

interface IpWindow {
  minute: number;
  /** Failures of this window as last counted in DynamoDB (by this container's writes). */
  failures: number;
  running: Set<Promise<unknown>>;
}

export const createAttemptLimiter = (options: {
  client: DynamoDBDocumentClient;
  tableName: string;
  now?: () => number;
  /** Bounds memory when many IPs are seen; the oldest window is forgotten first. */
  maxTrackedIps?: number;
}): AttemptLimiter => {
  const now = options.now ?? Date.now;
  const maxTracked = options.maxTrackedIps ?? 10_000;
  const windows = new Map<string, IpWindow>();

  const windowOf = (key: string): IpWindow => {
    const minute = Math.floor(now() / MINUTE_MS);
    let window = windows.get(key);
    if (window === undefined || (window.minute !== minute && window.running.size === 0)) {
      if (window === undefined && windows.size >= maxTracked) windows.delete(windows.keys().next().value as string);
      window = { minute, failures: 0, running: new Set() };
      windows.set(key, window);
    } else if (window.minute !== minute) {
      window.minute = minute;
      window.failures = 0;
    }
    return window;
  };

  const secondsLeftInMinute = () => Math.max(1, Math.ceil((MINUTE_MS - (now() % MINUTE_MS)) / 1000));

  /**
   * Waits until the IP may make one more provider call in this window and takes the slot
   * (synchronously with the check, so concurrent requests cannot all pass it), or refuses.
   * Returns the window and the function that frees the slot.
   */
  const admitIp = async (key: string, limit: number): Promise<{ window: IpWindow; release: () => void }> => {
    for (;;) {
      const window = windowOf(key);
      if (window.failures >= limit) {
        throw errors.tooManyRequests('too many failed sign-in attempts from this address; retry later', 'rate_limited_ip', secondsLeftInMinute());
      }
      if (window.failures + window.running.size < limit) {
        let release!: () => void;
        const slot = new Promise<void>((resolve) => (release = resolve));
        window.running.add(slot);
        return { window, release: () => (window.running.delete(slot), release()) };
      }
      await Promise.race(window.running);
    }
  };

  const countFailure = async (subject: AttemptSubject & { sourceIp: string }, window: IpWindow): Promise<void> => {
    const minute = window.minute;
    try {
      const { Attributes } = await options.client.send(
        new UpdateCommand({
          TableName: options.tableName,
          Key: { pk: `LIMIT#IP#${subject.clientId}#${subject.sourceIp}`, sk: `MINUTE#${minute}` },
          // ADD is atomic; an SDK retry may count one failure twice, which only errs on the safe side.
          UpdateExpression: 'ADD #n :one SET #t = :type, expires_at = :expires',
          ExpressionAttributeNames: { '#n': 'failures', '#t': 'type' },
          ExpressionAttributeValues: { ':one': 1, ':type': 'rate_limit', ':expires': ((minute + 1) * MINUTE_MS) / 1000 + TTL_SLACK_SECONDS },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const failures = Number(Attributes?.failures ?? 0);
      if (window.minute === minute) window.failures = Math.max(window.failures + 1, failures);
    } catch (error) {
      if (window.minute === minute) window.failures += 1;
      logger.warn('rate limit counter not written', { reason: (error as { name?: string })?.name ?? 'error' });
    }
  };

  const takeClientSlot = async (clientId: string, cap: number): Promise<void> => {
    const second = Math.floor(now() / 1000);
    try {
      await options.client.send(
        new UpdateCommand({
          TableName: options.tableName,
          Key: { pk: `LIMIT#CLIENT#${clientId}`, sk: `SECOND#${second}` },
          UpdateExpression: 'ADD #n :one SET #t = :type, expires_at = :expires',
          ConditionExpression: 'attribute_not_exists(#n) OR #n < :cap',
          ExpressionAttributeNames: { '#n': 'requests', '#t': 'type' },
          ExpressionAttributeValues: { ':one': 1, ':cap': cap, ':type': 'rate_limit', ':expires': second + TTL_SLACK_SECONDS },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailure(error)) {
        throw errors.tooManyRequests('this application is making too many sign-in requests; retry in a moment', 'rate_limited_client', 1);
      }
      logger.warn('rate limit counter not written', { reason: (error as { name?: string })?.name ?? 'error' });
    }
  };

  return {
    async guard(subject: AttemptSubject, limits: AttemptLimits, attempt, countsAsFailure = costProviderCall) {
      const ipLimit = subject.sourceIp === undefined ? 0 : limits.perIpFailuresPerMinute;
      const key = `${subject.clientId}\n${subject.sourceIp}`;
      const admitted = ipLimit > 0 ? await admitIp(key, ipLimit) : undefined;
      // Refused by the IP rule first: a blocked IP must not use up the client's shared budget.
      const running = (async () => {
        if (limits.perClientPerSecond > 0) await takeClientSlot(subject.clientId, limits.perClientPerSecond);
        return attempt();
      })();
      if (admitted === undefined) return running;
      try {
        await running;
      } catch (error) {
        if (costProviderCall(error) && countsAsFailure(error)) await countFailure({ ...subject, sourceIp: subject.sourceIp! }, admitted.window);
      } finally {
        admitted.release();
      }
      return running;
    },
  };
};
