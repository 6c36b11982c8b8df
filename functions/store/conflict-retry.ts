/**
 * DynamoDB rejects a single-item write that touches an item an ongoing TransactWriteItems
 * holds (TransactionConflictException), and cancels a transaction that meets another one
 * (TransactionCanceledException, reason `TransactionConflict`). Neither write was applied,
 * and the SDK's standard retry mode does not retry them (they are HTTP 400s), so callers
 * whose writes are idempotent retry here. Logins only meet a transaction while an admin
 * links, unlinks or deletes that very user, so this costs nothing on the usual path.
 */
export const isTransactionConflict = (error: unknown): boolean => {
  const { name, CancellationReasons: reasons } = (error ?? {}) as {
    name?: string;
    CancellationReasons?: Array<{ Code?: string } | undefined>;
  };
  if (name === 'TransactionConflictException') return true;
  if (name !== 'TransactionCanceledException' || !reasons) return false;
  // A failed condition is an answer, not a conflict: waiting would not change it.
  const codes = reasons.map((reason) => reason?.Code);
  return codes.includes('TransactionConflict') && !codes.includes('ConditionalCheckFailed');
};

export interface ConflictRetryOptions {
  /** Total tries, the first included. */
  attempts?: number;
  baseDelayMs?: number;
}

export const retryOnTransactionConflict = async <T>(
  operation: () => Promise<T>,
  { attempts = 4, baseDelayMs = 15 }: ConflictRetryOptions = {},
): Promise<T> => {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= attempts || !isTransactionConflict(error)) throw error;
      // Exponential backoff with jitter, so racing writers do not meet again in lockstep.
      await new Promise((resolve) => setTimeout(resolve, baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random())));
    }
  }
};
