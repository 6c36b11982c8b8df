/**
 * Stands in for `@smithy/core/event-streams` in the Lambda bundles (the alias in
 * infra/bundling.ts). The SDK's HTTP protocol imports that module dynamically, for operations
 * whose schema has an event stream; no DynamoDB or KMS operation has one, so Lambda never
 * loads it, yet esbuild bundles it and its codec (about 19 KB of every bundle, compiled at
 * each cold start). Should an operation ever need it, this fails loudly instead.
 */
const unsupported = (): never => {
  throw new Error('event streams are not bundled: no operation these functions send uses one (functions/sdk/no-event-streams.ts)');
};

export class EventStreamSerde {
  constructor() {
    unsupported();
  }
}

export const eventStreamSerdeProvider = unsupported;
