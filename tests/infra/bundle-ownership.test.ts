import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { build } from 'esbuild';
import { HANDLER_ENTRIES, PROJECT_ROOT, esbuildOptions, type HandlerName } from '../../infra/bundling.js';

/**
 * Each function's bundle carries only code that function runs (STYLE "The core knows only
 * its ports"; issue 14 item 5). The inputs esbuild reports in its metafile are checked
 * against what each function must never contain: a new import from core/ into providers/
 * (say) drags the adapters into userinfo, and this test names the file that did it.
 */
const NEVER_IN: Record<HandlerName, RegExp[]> = {
  // DynamoDB reads only.
  userinfo: [/^functions\/providers\//, /^functions\/tokens\//, /^functions\/core\/tenant\.ts$/, /node_modules\/(@aws-sdk\/client-kms|jose|ky|valibot)\//],
  // DynamoDB only: revocation verifies nothing with a provider and signs nothing.
  oauthRevoke: [/^functions\/providers\//, /^functions\/tokens\//, /^functions\/core\/tenant\.ts$/, /node_modules\/(@aws-sdk\/client-kms|jose|ky)\//],
  // KMS GetPublicKey only.
  discovery: [/^functions\/providers\//, /^functions\/store\//, /node_modules\/(@aws-sdk\/client-dynamodb|@aws-sdk\/lib-dynamodb|jose|ky|valibot)\//],
  // The legacy endpoint verifies access tokens only: no JWS, no Apple, no tenant schema.
  token: [/^functions\/providers\/(id-token\/|apple\.ts|subject-verifier\.ts)/, /^functions\/core\/(grants\/|token-endpoint\.ts|tenant\.ts)/, /node_modules\/jose\//],
  // POST /oauth/token runs everything it bundles, but never the legacy handler or the tenant schema.
  oauthToken: [/^functions\/token\//, /^functions\/core\/tenant\.ts$/, /^functions\/core\/exchange\.ts$/],
};

/**
 * SDK code that no function runs, kept out by the aliases of infra/bundling.ts: event-stream
 * serde (no DynamoDB or KMS operation streams) and the DocumentClient's Query/Scan paginators.
 */
const NEVER_IN_ANY: RegExp[] = [
  /node_modules\/@smithy\/core\/dist-es\/submodules\/event-streams\//,
  /node_modules\/@aws-sdk\/lib-dynamodb\/dist-es\/(pagination|commands\/(Query|Scan)Command)/,
];

/** Parts of a bundle that must be there, so the patterns above cannot pass by matching nothing. */
const ALWAYS_IN: Record<HandlerName, RegExp> = {
  userinfo: /^functions\/store\/token-store\.ts$/,
  oauthRevoke: /^functions\/store\/refresh-tokens\.ts$/,
  discovery: /^functions\/tokens\/key-ring\.ts$/,
  token: /^functions\/providers\/facebook\.ts$/,
  oauthToken: /^functions\/providers\/id-token\/verify\.ts$/,
};

const inputsOf = async (entry: string): Promise<string[]> => {
  const result = await build({ ...esbuildOptions(entry, path.join(PROJECT_ROOT, 'cdk.out', 'unused.mjs')), write: false, metafile: true });
  // Only inputs that reach the output count: a module whose exports are all tree-shaken away costs nothing.
  const output = Object.values(result.metafile.outputs).find((candidate) => candidate.entryPoint !== undefined)!;
  return Object.entries(output.inputs)
    .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
    .map(([input]) => path.relative(PROJECT_ROOT, path.resolve(PROJECT_ROOT, input)));
};

describe('function bundles carry only what the function runs', () => {
  it.each(Object.keys(HANDLER_ENTRIES) as HandlerName[])('%s', async (name) => {
    const inputs = await inputsOf(HANDLER_ENTRIES[name]);
    expect(inputs.some((input) => ALWAYS_IN[name].test(input))).toBe(true);
    expect(inputs.filter((input) => NEVER_IN[name].some((pattern) => pattern.test(input)))).toEqual([]);
    expect(inputs.filter((input) => NEVER_IN_ANY.some((pattern) => pattern.test(input)))).toEqual([]);
  });

  it('would notice the SDK code no function runs: the same entry bundled without the aliases carries it', async () => {
    const result = await build({
      ...esbuildOptions(HANDLER_ENTRIES.token, path.join(PROJECT_ROOT, 'cdk.out', 'unused.mjs')),
      alias: {},
      write: false,
      metafile: true,
    });
    // The same filter as inputsOf: what reaches the output, so tree-shaking alone cannot pass it.
    const output = Object.values(result.metafile.outputs).find((candidate) => candidate.entryPoint !== undefined)!;
    const inputs = Object.entries(output.inputs).filter(([, { bytesInOutput }]) => bytesInOutput > 0).map(([input]) => input);
    for (const pattern of NEVER_IN_ANY) expect(inputs.some((input) => pattern.test(input))).toBe(true);
  });
});
