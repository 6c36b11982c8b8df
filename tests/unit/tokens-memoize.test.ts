import { describe, expect, it } from 'vitest';
import { memoizeUntilFailure } from '../../functions/tokens/memoize.js';

describe('memoizeUntilFailure', () => {
  it('shares one load between concurrent and later callers', async () => {
    let loads = 0;
    const get = memoizeUntilFailure(async () => {
      loads += 1;
      return 'value';
    });

    const results = await Promise.all([get(), get(), get()]);
    await get();

    expect(results).toEqual(['value', 'value', 'value']);
    expect(loads).toBe(1);
  });

  it('forgets a failed load so the next call tries again', async () => {
    let loads = 0;
    const get = memoizeUntilFailure(async () => {
      loads += 1;
      if (loads === 1) throw new Error('first load fails');
      return loads;
    });

    await expect(get()).rejects.toThrow('first load fails');
    await expect(get()).resolves.toBe(2);
    await expect(get()).resolves.toBe(2);
    expect(loads).toBe(2);
  });
});
