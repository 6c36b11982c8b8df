import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares two strings without leaking where they differ. Hashing first gives equal-length
 * inputs, which timingSafeEqual requires, and hides the length of the secret.
 */
export const constantTimeEqual = (a: string, b: string): boolean =>
  timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
