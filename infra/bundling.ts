import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';

/**
 * The one definition of how a Lambda handler is bundled. The CDK stack (through
 * `NodejsFunction`) and the benchmark (through the esbuild API) both derive their settings
 * from `LAMBDA_BUNDLE`, so what is measured is what is deployed. No aws-cdk-lib import
 * here: the benchmark should not pay for loading it.
 */

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Entry point of each Lambda, relative to the project root. */
export const HANDLER_ENTRIES = {
  token: 'functions/token/handler.ts',
  userinfo: 'functions/userinfo/handler.ts',
  discovery: 'functions/discovery/handler.ts',
  oauthToken: 'functions/oauth-token/handler.ts',
  oauthRevoke: 'functions/oauth-revoke/handler.ts',
} as const;

export type HandlerName = keyof typeof HANDLER_ENTRIES;

/**
 * esbuild's ESM output turns a CommonJS dependency's `require()` into a shim that throws
 * unless a `require` binding exists at module scope; createRequire provides one.
 */
export const ESM_REQUIRE_BANNER =
  "import{createRequire as __createRequire}from'node:module';const require=__createRequire(import.meta.url);";

export const LAMBDA_BUNDLE = {
  /**
   * node22 rather than the runtime's own version: the same bundle then also runs on this
   * repository's Node 20 machines (benchmark), and nothing we write needs newer syntax.
   */
  target: 'node22',
  format: 'esm',
  minify: true,
  /** Mappings only: `--enable-source-maps` needs no sources, and the zip stays small. */
  sourcemap: true,
  sourcesContent: false,
  /**
   * Nothing is external: Lambda's built-in SDK is a different, unpinned version and loading
   * it from outside the bundle costs cold-start time (DESIGN pitfall: NodejsFunction
   * externalizes @aws-sdk/* unless told otherwise).
   */
  external: [] as string[],
  /** ESM builds first: the SDK's dist-es tree-shakes far better than dist-cjs. */
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  /**
   * Lambda hands a function its role's credentials in environment variables, so the SDK's
   * default chain (SSO, INI files, credential_process, web identity, container and instance
   * metadata, with the STS and SSO clients they need) is dead weight there: about 100 KB
   * of the bundle and part of every cold start. Each client's runtime config imports
   * `defaultProvider` from this package, so aliasing it swaps the whole chain for the
   * environment-variable provider. The local CLIs run from source and keep the full chain.
   */
  alias: {
    '@aws-sdk/credential-provider-node': './functions/sdk/env-credentials.ts',
    // Only what the functions use of the DocumentClient package (see the file for why).
    '@aws-sdk/lib-dynamodb': './functions/sdk/dynamodb-document.js',
    // Event streams: no operation of DynamoDB or KMS has one (see the file).
    '@smithy/core/event-streams': './functions/sdk/no-event-streams.ts',
  } as Record<string, string>,
} as const;

/** The output file name NodejsFunction gives an ESM bundle (handler `index.handler`). */
export const ESM_OUTFILE = 'index.mjs';

/** esbuild API options equivalent to what the stack's NodejsFunction runs. */
export const esbuildOptions = (entry: string, outfile: string): BuildOptions => ({
  entryPoints: [path.resolve(PROJECT_ROOT, entry)],
  outfile,
  bundle: true,
  platform: 'node',
  target: LAMBDA_BUNDLE.target,
  format: LAMBDA_BUNDLE.format,
  minify: LAMBDA_BUNDLE.minify,
  sourcemap: LAMBDA_BUNDLE.sourcemap,
  sourcesContent: LAMBDA_BUNDLE.sourcesContent,
  external: [...LAMBDA_BUNDLE.external],
  mainFields: [...LAMBDA_BUNDLE.mainFields],
  banner: { js: LAMBDA_BUNDLE.banner },
  absWorkingDir: PROJECT_ROOT,
  alias: { ...LAMBDA_BUNDLE.alias },
  logLevel: 'warning',
});
