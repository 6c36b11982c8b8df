import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ESM_OUTFILE, PROJECT_ROOT, esbuildOptions } from '../../bundling.js';

/**
 * The code an emulated container runs: each handler module bundled with the very settings
 * the CDK stack deploys (infra/bundling.ts), and the container runtime bundled beside it.
 *
 * Why bundles rather than the TypeScript sources under tsx: measured on this repository's
 * 2-core machines, a worker that registers tsx and imports functions/token/handler.ts costs
 * about 0.8 s of CPU and a loader thread of its own; importing the bundle costs about 0.2 s.
 * A burst that starts a hundred containers is then seconds of work, not minutes, and the
 * containers run what Lambda runs. The price: a source change needs a restart (as before).
 *
 * Built once per process and entry; the files live in a temporary folder removed at exit.
 */
let folder: string | undefined;
const built = new Map<string, Promise<string>>();

const workFolder = (): string => {
  if (!folder) {
    const created = mkdtempSync(path.join(tmpdir(), 'local-lambda-'));
    folder = created;
    process.once('exit', () => rmSync(created, { recursive: true, force: true }));
  }
  return folder;
};

const bundle = (key: string, options: Parameters<typeof build>[0]): Promise<string> => {
  let file = built.get(key);
  if (!file) {
    const outfile = options.outfile!;
    file = build({ ...options, absWorkingDir: PROJECT_ROOT }).then(() => pathToFileURL(outfile).href);
    // A failed build (a syntax error being fixed) is retried by the next caller.
    file.catch(() => built.delete(key));
    built.set(key, file);
  }
  return file;
};

/** file: URL of the bundle of `entry` (relative to the project root, or absolute). */
export const functionBundle = (entry: string): Promise<string> => {
  const absolute = path.resolve(PROJECT_ROOT, entry);
  const name = path.relative(PROJECT_ROOT, absolute).replace(/[^A-Za-z0-9]+/g, '-');
  return bundle(absolute, esbuildOptions(absolute, path.join(workFolder(), name, ESM_OUTFILE)));
};

/** file: URL of the container runtime (api-gateway/container-runtime.ts) as plain JavaScript. */
export const containerRuntime = (): Promise<string> =>
  bundle('container-runtime', {
    entryPoints: [path.join(path.dirname(fileURLToPath(import.meta.url)), 'container-runtime.ts')],
    outfile: path.join(workFolder(), 'container-runtime.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });

/**
 * Starts building the bundles of `entries` (and the runtime) without waiting: a caller with
 * slower work to do first (starting DynamoDB Local) overlaps the two. A failure surfaces
 * when the gateway prepares its functions.
 */
export const prebuildFunctions = (entries: readonly string[]): void => {
  for (const file of [containerRuntime(), ...entries.map(functionBundle)]) file.catch(() => undefined);
};
