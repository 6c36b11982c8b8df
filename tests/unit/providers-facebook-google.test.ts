import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  allSettledOrThrow,
  booleanish,
  compactClaims,
  idString,
  integerish,
  parseBooleanish,
  parseIdString,
  parseIntegerish,
} from '../../functions/providers/claims.js';
import { appsecretProof, facebookClaims, graphRejectionReason, type FacebookMe } from '../../functions/providers/facebook.js';
import { googleClaims, isOurAudience, type GoogleUserInfo } from '../../functions/providers/google.js';

describe('parseIntegerish', () => {
  it.each([
    [3599, 3599],
    ['3599', 3599],
    ['0', 0],
    ['-5', -5],
    [0, 0],
  ])('reads %j as %j', (input, expected) => {
    expect(parseIntegerish(input)).toBe(expected);
  });

  it.each([['3599.5'], [1.5], ['1e3'], [' 12'], ['12 '], [''], ['0x10'], [true], [null], [undefined], [{}], ['99999999999999999'], [2 ** 53], [Number.NaN], [Infinity]])(
    'refuses %j',
    (input) => {
      expect(parseIntegerish(input)).toBeUndefined();
    },
  );

  it('round-trips every integer Google or Facebook could send as a decimal string', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(10 ** 15), max: 10 ** 15 }), (n) => {
        expect(parseIntegerish(String(n))).toBe(n);
        expect(parseIntegerish(n)).toBe(n);
      }),
    );
  });
});

describe('parseBooleanish', () => {
  it.each([
    [true, true],
    [false, false],
    ['true', true],
    ['false', false],
  ])('reads %j as %j', (input, expected) => {
    expect(parseBooleanish(input)).toBe(expected);
  });

  it.each([['TRUE'], ['True'], ['1'], [1], [0], ['yes'], [''], [null], [undefined]])('refuses %j', (input) => {
    expect(parseBooleanish(input)).toBeUndefined();
  });
});

describe('parseIdString', () => {
  it('keeps string ids verbatim, even far beyond 2^53', () => {
    expect(parseIdString('10224567890123456')).toBe('10224567890123456');
    expect(parseIdString('18446744073709551615')).toBe('18446744073709551615');
  });

  it('accepts a JSON number only while it is still exact', () => {
    expect(parseIdString(1207059)).toBe('1207059');
    expect(parseIdString(2 ** 53 + 2)).toBeUndefined();
  });

  it.each([[''], [' 1'], ['12a'], ['-1'], [-1], [1.5], [null], [true]])('refuses %j', (input) => {
    expect(parseIdString(input)).toBeUndefined();
  });

  it('never alters a decimal id string', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{1,40}$/), (id) => {
        expect(parseIdString(id)).toBe(id);
      }),
    );
  });
});

describe('valibot schemas of the parsers', () => {
  it('parse what the plain parsers parse and fail the rest', () => {
    expect(v.parse(integerish, '3599')).toBe(3599);
    expect(v.parse(booleanish, 'true')).toBe(true);
    expect(v.parse(idString, 1207059)).toBe('1207059');
    expect(v.safeParse(integerish, 'soon').success).toBe(false);
    expect(v.safeParse(booleanish, 'yes').success).toBe(false);
    expect(v.safeParse(idString, 'abc').success).toBe(false);
    expect(v.safeParse(integerish, undefined).success).toBe(false);
  });
});

describe('compactClaims', () => {
  it('drops undefined members', () => {
    expect(compactClaims({ name: 'A', given_name: undefined, picture: undefined })).toEqual({ name: 'A' });
  });

  it('drops email_verified when there is no email to qualify', () => {
    expect(compactClaims({ name: 'A', email_verified: true })).toEqual({ name: 'A' });
    expect(compactClaims({ email: 'a@example.com', email_verified: false })).toEqual({ email: 'a@example.com', email_verified: false });
  });
});

describe('facebookClaims', () => {
  const me: FacebookMe = {
    id: '10224567890123456',
    name: 'Alice Liddell',
    first_name: 'Alice',
    last_name: 'Liddell',
    email: 'alice@example.com',
    picture: { data: { height: 50, width: 50, is_silhouette: false, url: 'https://platform-lookaside.fbsbx.com/p.jpg' } },
  };

  it('maps Graph fields to OIDC claims and never marks the email verified', () => {
    expect(facebookClaims(me)).toEqual({
      name: 'Alice Liddell',
      given_name: 'Alice',
      family_name: 'Liddell',
      picture: 'https://platform-lookaside.fbsbx.com/p.jpg',
      email: 'alice@example.com',
      email_verified: false,
    });
  });

  it('omits both email claims for a user without email', () => {
    const { email: _email, ...withoutEmail } = me;
    expect(facebookClaims(withoutEmail as FacebookMe)).not.toHaveProperty('email_verified');
  });

  it.each([[undefined], ['https://flat-string.example/p.jpg'], [{ data: null }], [{ data: { url: 42 } }], [{ data: { url: '' } }]])(
    'ignores a picture of an unexpected shape: %j',
    (picture) => {
      expect(facebookClaims({ ...me, picture })).not.toHaveProperty('picture');
    },
  );
});

describe('googleClaims', () => {
  const user: GoogleUserInfo = {
    sub: '109876543210987654321',
    name: 'Alice Liddell',
    given_name: 'Alice',
    family_name: 'Liddell',
    picture: 'https://lh3.googleusercontent.com/a/x=s96-c',
    locale: 'en',
    email: 'alice@gmail.com',
    email_verified: true,
  };

  it('maps userinfo to OIDC claims', () => {
    expect(googleClaims(user)).toEqual({
      name: 'Alice Liddell',
      given_name: 'Alice',
      family_name: 'Liddell',
      picture: 'https://lh3.googleusercontent.com/a/x=s96-c',
      locale: 'en',
      email: 'alice@gmail.com',
      email_verified: true,
    });
  });

  it.each([
    [true, true],
    ['true', true],
    [false, false],
    ['false', false],
    [undefined, false],
    ['yes', false],
    [1, false],
  ])('treats email_verified %j as %j', (flag, expected) => {
    expect(googleClaims({ ...user, email_verified: flag }).email_verified).toBe(expected);
  });

  it('omits email_verified when there is no email', () => {
    const { email: _email, ...withoutEmail } = user;
    expect(googleClaims(withoutEmail as GoogleUserInfo)).not.toHaveProperty('email_verified');
  });
});

describe('isOurAudience', () => {
  const web = 'web.apps.googleusercontent.com';
  const android = 'android.apps.googleusercontent.com';
  const other = 'other.apps.googleusercontent.com';

  it.each([
    ['aud is our client', { aud: web, azp: web }, [], true],
    ['only azp is ours (cross-client token)', { aud: other, azp: web }, [], true],
    ['azp is an allowed Android client', { aud: android, azp: android }, [android], true],
    ['the Android client is not allowed', { aud: android, azp: android }, [], false],
    ['neither is ours', { aud: other, azp: other }, [android], false],
    ['no audience at all', {}, [android], false],
  ])('%s → %s', (_case, token, allowed, expected) => {
    expect(isOurAudience(token, web, allowed)).toBe(expected);
  });
});

describe('appsecretProof', () => {
  it('is hex(HMAC-SHA256(key = app secret, message = token)) (RFC 4231 test case 2)', () => {
    expect(appsecretProof('what do ya want for nothing?', 'Jefe')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});

describe('graphRejectionReason', () => {
  it.each([
    [190, 463, 'expired'],
    [190, 458, 'revoked'],
    [190, 460, 'revoked'],
    [190, undefined, 'invalid_token'],
    [190, 467, 'invalid_token'],
    [100, undefined, 'facebook_appsecret_proof_rejected'],
    [undefined, undefined, 'invalid_token'],
  ])('code %j subcode %j → %s', (code, subcode, reason) => {
    expect(graphRejectionReason(code, subcode)).toBe(reason);
  });
});

describe('allSettledOrThrow', () => {
  const later = <T>(ms: number, settle: () => T) => new Promise<T>((resolve) => setTimeout(() => resolve(settle()), ms));

  it('resolves the values in order', async () => {
    await expect(allSettledOrThrow([later(10, () => 'a'), Promise.resolve(2)])).resolves.toEqual(['a', 2]);
  });

  it('does not settle before every call has finished, then throws the first failure in order', async () => {
    let slowFinished = false;
    const slow = later(60, () => {
      slowFinished = true;
      return 'slow';
    });
    const second = Promise.reject(new Error('second'));
    const third = new Promise((_resolve, reject) => setTimeout(() => reject(new Error('third')), 5));

    await expect(allSettledOrThrow([slow, second, third])).rejects.toThrow('second');
    expect(slowFinished).toBe(true);
  });
});
