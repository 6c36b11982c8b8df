import type { SubjectKind } from '../ports.js';

export interface SubjectTokenType {
  kind: SubjectKind;
  /** Strategies whose connections accept this type (DESIGN section 10). */
  strategies: readonly string[];
  /** The strategy chosen without a `connection` parameter; undefined: read from the token or required. */
  impliedStrategy?: string;
}

export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';

/** RFC 8693 section 3 names, plus Auth0's native-social names, as DESIGN section 10 lists them. */
export const SUBJECT_TOKEN_TYPES: Readonly<Record<string, SubjectTokenType>> = {
  [ID_TOKEN_TYPE]: { kind: 'id_token', strategies: ['apple', 'google-oauth2', 'facebook'] },
  'http://auth0.com/oauth/token-type/google-id-token': {
    kind: 'id_token',
    strategies: ['google-oauth2'],
    impliedStrategy: 'google-oauth2',
  },
  'http://auth0.com/oauth/token-type/apple-authz-code': {
    kind: 'authorization_code',
    strategies: ['apple'],
    impliedStrategy: 'apple',
  },
  [ACCESS_TOKEN_TYPE]: { kind: 'access_token', strategies: ['facebook', 'google-oauth2', 'twitter', 'weibo'] },
};

export const subjectTokenType = (name: string): SubjectTokenType | undefined =>
  Object.hasOwn(SUBJECT_TOKEN_TYPES, name) ? SUBJECT_TOKEN_TYPES[name] : undefined;

/** RFC 8693 section 2.2.1: what we issue is always our own opaque access token. */
export const ISSUED_TOKEN_TYPE = ACCESS_TOKEN_TYPE;
