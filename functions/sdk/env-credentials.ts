import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (see the alias
 * in infra/bundling.ts). Lambda puts the execution role's credentials in
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, the first source the
 * default chain would try, so reading those alone changes nothing there. Every client's
 * runtime config calls `defaultProvider(init)`; the SDK memoizes and refreshes the result.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]): ReturnType<typeof fromEnv> => fromEnv(init);
