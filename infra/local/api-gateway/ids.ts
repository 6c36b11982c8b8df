import { randomBytes, randomUUID } from 'node:crypto';
import type { InvocationIds } from './types.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (value: number) => String(value).padStart(2, '0');

/** API Gateway's request time format: 12/Mar/2020:19:03:58 +0000 (always UTC). */
export const formatRequestTime = (date: Date): string =>
  `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
  `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;

/** HTTP APIs use short base64 request ids (e.g. `JKJaXmPLvHcESHA=`); REST APIs use UUIDs. */
export const shortRequestId = (): string => randomBytes(11).toString('base64');

/** An X-Ray trace header: Root=1-<epoch seconds, hex>-<96 random bits, hex>. */
export const traceId = (now: Date): string =>
  `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;

export const newApiId = (): string => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(10), (byte) => alphabet[byte % alphabet.length]).join('');
};

export const LOCAL_ACCOUNT_ID = '123456789012';

export const newInvocationIds = (apiId: string, restStyle: boolean): InvocationIds => ({
  requestId: restStyle ? randomUUID() : shortRequestId(),
  awsRequestId: randomUUID(),
  apiId,
  accountId: LOCAL_ACCOUNT_ID,
  now: new Date(),
});
