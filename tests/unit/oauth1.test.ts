import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  authorizationHeader,
  baseStringUri,
  hmacSha1Signature,
  normalizeParameters,
  parseAuthorizationHeader,
  percentEncode,
  signatureBaseString,
  signRequest,
} from '../../functions/providers/oauth1.js';

/**
 * Known answers from published examples. X's "Creating a signature" guide publishes its
 * parameter string, base string and signing key; the HMAC-SHA1 of that base string under
 * that key is hCtSmYh+iHYCEqBWrE7C7hYmtUk= (the older v1 page printed tnnArxj06cWHq44gCs1OSKk/jLY=
 * for the /1/ URL, which is what the same inputs give there).
 */
describe('X "Creating a signature" example', () => {
  const request = {
    method: 'POST',
    url: 'https://api.twitter.com/1.1/statuses/update.json?include_entities=true',
    form: { status: 'Hello Ladies + Gentlemen, a signed OAuth request!' },
  };
  const credentials = {
    consumerKey: 'xvz1evFS4wEEPTGEFPHBog',
    consumerSecret: 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw',
    token: '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb',
    tokenSecret: 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE',
  };
  const options = { nonce: 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg', timestamp: 1318622958 };

  const parameterString =
    'include_entities=true&oauth_consumer_key=xvz1evFS4wEEPTGEFPHBog' +
    '&oauth_nonce=kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg&oauth_signature_method=HMAC-SHA1' +
    '&oauth_timestamp=1318622958&oauth_token=370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb' +
    '&oauth_version=1.0&status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21';

  const baseString =
    'POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue' +
    '%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg' +
    '%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958' +
    '%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0' +
    '%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521';

  it('builds the published parameter string', () => {
    const signed = signRequest(request, credentials, options);
    const pairs = [
      ['include_entities', 'true'],
      ['status', 'Hello Ladies + Gentlemen, a signed OAuth request!'],
      ...Object.entries(signed.oauthParams),
    ] as const;
    expect(normalizeParameters(pairs)).toBe(parameterString);
  });

  it('builds the published base string and signature', () => {
    const signed = signRequest(request, credentials, options);
    expect(signed.baseString).toBe(baseString);
    expect(signed.signature).toBe('hCtSmYh+iHYCEqBWrE7C7hYmtUk=');
  });

  it('uses the published signing key (consumer secret & token secret)', () => {
    const signingKey = 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw&LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE';
    const [consumerSecret, tokenSecret] = signingKey.split('&') as [string, string];
    expect(hmacSha1Signature(baseString, consumerSecret, tokenSecret)).toBe('hCtSmYh+iHYCEqBWrE7C7hYmtUk=');
  });

  it('sends the header fields X documents, each percent-encoded', () => {
    const { authorization } = signRequest(request, credentials, options);
    expect(authorization).toBe(
      'OAuth oauth_consumer_key="xvz1evFS4wEEPTGEFPHBog", ' +
        'oauth_nonce="kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", ' +
        'oauth_signature="hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D", oauth_signature_method="HMAC-SHA1", ' +
        'oauth_timestamp="1318622958", oauth_token="370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", ' +
        'oauth_version="1.0"',
    );
  });

  it('gives the old v1 page its printed value for the /1/ URL', () => {
    const signed = signRequest(
      { ...request, url: 'https://api.twitter.com/1/statuses/update.json?include_entities=true' },
      credentials,
      options,
    );
    expect(signed.signature).toBe('tnnArxj06cWHq44gCs1OSKk/jLY=');
  });
});

/** RFC 5849 section 1.2: the printer / photo-sharing example, three signed requests. */
describe('RFC 5849 section 1.2 (photos example)', () => {
  const client = { consumerKey: 'dpf43f3p2l4k3l03', consumerSecret: 'kd94hf93k423kf44' };

  it('signs the temporary-credentials request (no token, oauth_callback)', () => {
    const signed = signRequest({ method: 'POST', url: 'https://photos.example.net/initiate' }, client, {
      nonce: 'wIjqoS',
      timestamp: 137131200,
      realm: 'Photos',
      includeVersion: false,
      extra: { oauth_callback: 'http://printer.example.com/ready' },
    });
    expect(signed.signature).toBe('74KNZJeDHnMBp0EMJ9ZHt/XKycU=');
    expect(signed.authorization).toContain('realm="Photos", ');
    expect(signed.authorization).toContain('oauth_callback="http%3A%2F%2Fprinter.example.com%2Fready"');
  });

  it('signs the token request (temporary credentials, oauth_verifier)', () => {
    const signed = signRequest(
      { method: 'POST', url: 'https://photos.example.net/token' },
      { ...client, token: 'hh5s93j4hdidpola', tokenSecret: 'hdhd0244k9j7ao03' },
      { nonce: 'walatlh', timestamp: 137131201, includeVersion: false, extra: { oauth_verifier: 'hfdp7dh39dks9884' } },
    );
    expect(signed.signature).toBe('gKgrFCywp7rO0OXSjdot/IHF7IU=');
  });

  it('signs the query parameters of the GET resource request', () => {
    const signed = signRequest(
      { method: 'GET', url: 'http://photos.example.net/photos?file=vacation.jpg&size=original' },
      { ...client, token: 'nnch734d00sl2jdk', tokenSecret: 'pfkkdhi9sl3r4s00' },
      { nonce: 'chapoH', timestamp: 137131202, includeVersion: false, realm: 'Photos' },
    );
    expect(signed.baseString).toBe(
      'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03' +
        '%26oauth_nonce%3DchapoH%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202' +
        '%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal',
    );
    expect(signed.signature).toBe('MdpQcU8iPSUjWoN/UDMsK2sui9I=');
  });

  it('matches OAuth Core 1.0 Appendix A.5 (same request with oauth_version)', () => {
    const signed = signRequest(
      { method: 'GET', url: 'http://photos.example.net/photos?file=vacation.jpg&size=original' },
      { ...client, token: 'nnch734d00sl2jdk', tokenSecret: 'pfkkdhi9sl3r4s00' },
      { nonce: 'kllo9940pd9333jh', timestamp: 1191242096 },
    );
    expect(signed.signature).toBe('tR3+Ty81lMeYAr/Fid0kMTYa/WM=');
  });
});

describe('RFC 5849 section 3.4.1 (signature base string)', () => {
  it('reproduces the section 3.4.1.1 example: query, form body and header parameters', () => {
    // POST /request?b5=%3D%253D&a3=a&c%40=&a2=r%20b with body "c2&a3=2+q"; realm is excluded.
    const signed = signRequest(
      {
        method: 'POST',
        url: 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b',
        form: [
          ['c2', ''],
          ['a3', '2 q'],
        ],
      },
      { consumerKey: '9djdj82h48djs9d2', consumerSecret: 'unused', token: 'kkk9d7dh3k39sjv7', tokenSecret: 'unused' },
      { nonce: '7d8f3e4a', timestamp: 137131201, includeVersion: false, realm: 'Example' },
    );
    expect(signed.baseString).toBe(
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D' +
        '%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a' +
        '%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
    );
  });

  it.each([
    ['http://EXAMPLE.COM:80/r%20v/X?id=123', 'http://example.com/r%20v/X'],
    ['https://www.example.net:8080/?q=1', 'https://www.example.net:8080/'],
    ['HTTPS://Api.X.com:443/1.1/account/verify_credentials.json#frag', 'https://api.x.com/1.1/account/verify_credentials.json'],
    ['http://127.0.0.1:40123/1.1/x.json?a=b', 'http://127.0.0.1:40123/1.1/x.json'],
  ])('base string URI of %s is %s (section 3.4.1.2)', (url, expected) => {
    expect(baseStringUri(url)).toBe(expected);
  });

  it('sorts by encoded name, then by encoded value (section 3.4.1.3.2)', () => {
    expect(
      normalizeParameters([
        ['a3', 'a'],
        ['a3', '2 q'],
        ['a2', 'r b'],
        ['c@', ''],
      ]),
    ).toBe('a2=r%20b&a3=2%20q&a3=a&c%40=');
  });

  it('uppercases the method', () => {
    expect(signatureBaseString('get', 'http://example.com/', [])).toBe('GET&http%3A%2F%2Fexample.com%2F&');
  });
});

describe('percent-encoding (RFC 5849 section 3.6)', () => {
  it.each([
    ['AZaz09-._~', 'AZaz09-._~'],
    [' ', '%20'],
    ['+', '%2B'],
    ["!*'()", '%21%2A%27%28%29'],
    ['/?#[]@=&', '%2F%3F%23%5B%5D%40%3D%26'],
    ['é', '%C3%A9'],
    ['☃', '%E2%98%83'],
    ['😀', '%F0%9F%98%80'],
  ])('encodes %j as %s', (input, expected) => {
    expect(percentEncode(input)).toBe(expected);
  });

  it('keeps only unreserved characters and uppercase escapes, and round-trips UTF-8', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (value) => {
        const encoded = percentEncode(value);
        expect(encoded).toMatch(/^(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})*$/);
        expect(decodeURIComponent(encoded)).toBe(value);
      }),
    );
  });
});

describe('Authorization header', () => {
  it('round-trips through the server-side parser', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }), fc.string(), { maxKeys: 8 }), (params) => {
        fc.pre(Object.keys(params).length > 0);
        const parsed = parseAuthorizationHeader(authorizationHeader(params));
        expect(parsed && Object.fromEntries(parsed)).toEqual(params);
      }),
    );
  });

  it.each([undefined, '', 'Bearer abc', 'OAuth ', 'OAuth a=b', 'OAuth a="1", a="2"', 'OAuth a="%ZZ"'])(
    'refuses %j',
    (header) => {
      expect(parseAuthorizationHeader(header)).toBeUndefined();
    },
  );

  it('draws a fresh nonce for every request', () => {
    const credentials = { consumerKey: 'k', consumerSecret: 's', token: 't', tokenSecret: 'ts' };
    const request = { method: 'GET', url: 'https://api.x.com/1.1/account/verify_credentials.json' };
    const first = signRequest(request, credentials);
    const second = signRequest(request, credentials);
    expect(first.oauthParams.oauth_nonce).toMatch(/^[0-9a-f]{64}$/);
    expect(first.oauthParams.oauth_nonce).not.toBe(second.oauthParams.oauth_nonce);
  });

  it('refuses to sign with a token but no token secret', () => {
    expect(() =>
      signRequest({ method: 'GET', url: 'https://api.x.com/' }, { consumerKey: 'k', consumerSecret: 's', token: 't' }),
    ).toThrow(TypeError);
  });
});
