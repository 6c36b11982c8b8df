import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setLogSink } from '../../functions/core/logger.js';
import { FACEBOOK_TEST_TOKENS } from '../../infra/local/emulators/facebook.js';
import { LAMBDA_BUNDLE } from '../../infra/bundling.js';
import { bundleHandlers, bundleReferenceHandlers } from './bundle.js';
import { measureColdStarts } from './cold-start.js';
import { measureCriticalPath } from './critical-path.js';
import { tokenExchangeEvent } from './events.js';
import { measureHandlerCost } from './handler-cost.js';
import { measureSdkCost } from './sdk-cost.js';
import { startBenchServices, type BenchProvider } from './services.js';
import { round } from './stats.js';
import { measureThroughput } from './throughput.js';
import { measureRefreshCpu, measureRefreshPath } from './refresh-path.js';
import { evaluateTargets, printReport } from './report.js';

/**
 * `npm run bench`: bundle sizes, cold start, handler CPU, critical path and throughput.
 * Prints a table and writes tests/bench/results.json. Figures, not assertions: the exit
 * code is 0 unless a measurement could not be made, or `--strict` is given and a target
 * of docs/performance.md is missed.
 *
 * Knobs (environment): BENCH_DELAY_MS (50), BENCH_COLD_RUNS (7), BENCH_PATH_RUNS (10),
 * BENCH_SECONDS per concurrency level (4), BENCH_OUT (tests/bench/results.json).
 */
const numberFromEnv = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

const settings = {
  delayMs: numberFromEnv('BENCH_DELAY_MS', 50),
  coldRuns: numberFromEnv('BENCH_COLD_RUNS', 7),
  pathRuns: numberFromEnv('BENCH_PATH_RUNS', 10),
  throughputSeconds: numberFromEnv('BENCH_SECONDS', 4),
  concurrency: [1, 8, 32],
};
const outFile = process.env.BENCH_OUT ?? fileURLToPath(new URL('./results.json', import.meta.url));
const strict = process.argv.includes('--strict');

const step = (what: string) => process.stderr.write(`bench: ${what}\n`);

const main = async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // The in-process stack writes one audit line per exchange; thousands of them would bury the table.
  setLogSink(() => undefined);
  const started = Date.now();
  const workDir = mkdtempSync(path.join(tmpdir(), 'token-exchange-bench-'));
  try {
    step('bundling the handlers with the CDK stack settings');
    const bundles = await bundleHandlers(workDir);
    const references = await bundleReferenceHandlers(workDir);

    step('handler CPU per warm exchange (in-process fakes)');
    const handlerCost = { ...(await measureHandlerCost()), withSdk: await measureSdkCost() };
    step('handler CPU per refresh (in-process ports)');
    const refreshCpu = await measureRefreshCpu();

    step('starting DynamoDB Local, the KMS endpoint, the emulators and the API');
    const services = await startBenchServices();
    try {
      const { stack } = services;
      step(`cold starts (${settings.coldRuns} runs per case, fresh Node processes)`);
      const event = tokenExchangeEvent({ client_id: 'my-app', connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.alice, scope: 'openid profile email' });
      const childEnv = (nodeOptions: string | undefined): Record<string, string> => ({
        PATH: process.env.PATH ?? '',
        ...stack.environment,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        BENCH_EVENT: JSON.stringify(event),
        ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
      });
      // The stack sets NODE_OPTIONS=--enable-source-maps on every function: measured as deployed.
      const deployedOptions = '--enable-source-maps';
      const [tokenCold, tokenColdNoMaps, sdkOnlyCold, trivialCold] = await measureColdStarts(
        [
          { label: 'token handler, first exchange (as deployed: --enable-source-maps)', bundle: bundles.token.file, env: childEnv(deployedOptions), expectStatus: 200 },
          { label: 'token handler, first exchange (no source maps)', bundle: bundles.token.file, env: childEnv(undefined), expectStatus: 200 },
          { label: 'AWS SDK clients imported, nothing else (reference)', bundle: references.sdkOnly.file, env: childEnv(deployedOptions), expectStatus: 200 },
          { label: 'one-line handler (baseline, --enable-source-maps)', bundle: references.trivial.file, env: childEnv(deployedOptions), expectStatus: 200 },
        ],
        settings.coldRuns,
      );
      const coldStart = {
        token: tokenCold!,
        tokenWithoutSourceMaps: tokenColdNoMaps!,
        sdkOnly: sdkOnlyCold!,
        baseline: trivialCold!,
        ratio: round(tokenCold!.median.toFirstAnswerMs / trivialCold!.median.toFirstAnswerMs, 2),
      };

      step(`critical path (${settings.delayMs} ms in front of every call, ${settings.pathRuns} warm exchanges per provider)`);
      const providers: BenchProvider[] = ['facebook', 'google-oauth2', 'twitter', 'weibo'];
      const criticalPath = [];
      for (const provider of providers) {
        criticalPath.push(await measureCriticalPath(services, provider, { delayMs: settings.delayMs, runs: settings.pathRuns }));
      }

      step(`refresh path (${settings.delayMs} ms in front of every call, ${settings.pathRuns} refreshes)`);
      const refresh = { path: await measureRefreshPath(services, { delayMs: settings.delayMs, runs: settings.pathRuns }), cpu: refreshCpu };

      step(`throughput (${settings.concurrency.join(', ')} clients, ${settings.throughputSeconds} s each)`);
      const throughput = [];
      for (const clients of settings.concurrency) {
        throughput.push(await measureThroughput(services, { clients, seconds: settings.throughputSeconds }));
      }

      const results = {
        generatedAt: new Date().toISOString(),
        durationSeconds: round((Date.now() - started) / 1000, 1),
        machine: { node: process.version, platform: `${process.platform}/${process.arch}`, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown' },
        settings: { ...settings, bundle: LAMBDA_BUNDLE },
        bundles: { ...bundles, ...references },
        handlerCost,
        coldStart,
        criticalPath,
        refresh,
        throughput,
        targets: [] as ReturnType<typeof evaluateTargets>,
      };
      results.targets = evaluateTargets(results);
      writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
      printReport(results);
      process.stdout.write(`\nresults: ${path.relative(process.cwd(), outFile)} (${results.durationSeconds} s)\n`);
      if (strict && results.targets.some((target) => !target.met)) process.exitCode = 1;
    } finally {
      await services.stop();
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
