import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setLogSink } from '../../functions/core/logger.js';
import { FACEBOOK_TEST_TOKENS } from '../../infra/local/emulators/facebook.js';
import { LAMBDA_BUNDLE } from '../../infra/bundling.js';
import { bundleHandlers, bundleReferenceHandlers } from './bundle.js';
import { measureColdStartPairs, measureColdStarts } from './cold-start.js';
import { measureCriticalPath } from './critical-path.js';
import { measureIdTokenPath } from './id-token-path.js';
import { tokenExchangeEvent } from './events.js';
import { measureHandlerCost } from './handler-cost.js';
import { measureLoggingCost } from './logging-cost.js';
import { measureSdkCost } from './sdk-cost.js';
import { exchangeFields, startBenchServices, type BenchProvider } from './services.js';
import { round } from './stats.js';
import { measureThroughput } from './throughput.js';
import { measureBursts } from './burst.js';
import { measureRefreshCpu, measureRefreshPath } from './refresh-path.js';
import { evaluateTargets, printReport } from './report.js';
import { costModel } from './cost-model.js';

/**
 * `npm run bench`: bundle sizes, cold start, handler CPU, critical path and throughput.
 * Prints a table and writes tests/bench/results.json. Figures, not assertions: the exit
 * code is 0 unless a measurement could not be made, or `--strict` is given and a target
 * of docs/performance.md is missed.
 *
 * Knobs (environment): BENCH_DELAY_MS (50), BENCH_COLD_PAIRS (15), BENCH_COLD_RUNS (5),
 * BENCH_PATH_RUNS (10), BENCH_SECONDS per concurrency level (4), BENCH_BURST requests per
 * burst (100), BENCH_OUT (tests/bench/results.json).
 */
const numberFromEnv = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

const settings = {
  delayMs: numberFromEnv('BENCH_DELAY_MS', 50),
  coldPairs: numberFromEnv('BENCH_COLD_PAIRS', 15),
  coldRuns: numberFromEnv('BENCH_COLD_RUNS', 5),
  pathRuns: numberFromEnv('BENCH_PATH_RUNS', 10),
  throughputSeconds: numberFromEnv('BENCH_SECONDS', 4),
  concurrency: [1, 16, 64],
  burstSize: numberFromEnv('BENCH_BURST', 100),
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
      step(`cold starts (${settings.coldPairs} pairs, then ${settings.coldRuns} runs per context case; fresh Node processes)`);
      const exchangeEvent = tokenExchangeEvent({ client_id: 'my-app', connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.alice, scope: 'openid profile email' });
      // An empty body is refused (400) by the parser, before any call of the request itself.
      const refusalEvent = { ...tokenExchangeEvent({}), body: '' };
      // The stack sets NODE_OPTIONS=--enable-source-maps on every function: measured as deployed.
      const childEnv = (event: unknown): Record<string, string> => ({
        PATH: process.env.PATH ?? '',
        ...stack.environment,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        BENCH_EVENT: JSON.stringify(event),
        NODE_OPTIONS: '--enable-source-maps',
      });
      const refusal = await measureColdStartPairs(
        { label: 'token, empty body refused (400)', bundle: bundles.token!.file, env: childEnv(refusalEvent), expectStatus: 400 },
        { label: 'reference: 3 bare SDK clients (plain SDK)', bundle: references.sdkClients.file, env: childEnv(refusalEvent), expectStatus: 200 },
        settings.coldPairs,
      );
      const [firstExchange, sdkClientsTrimmed, baseline] = await measureColdStarts(
        [
          { label: 'token, first exchange (local stack)', bundle: bundles.token!.file, env: childEnv(exchangeEvent), expectStatus: 200 },
          { label: '3 bare SDK clients, our aliases', bundle: references.sdkClientsTrimmed.file, env: childEnv(refusalEvent), expectStatus: 200 },
          { label: 'one-line handler', bundle: references.trivial.file, env: childEnv(refusalEvent), expectStatus: 200 },
        ],
        settings.coldRuns,
      );
      const coldStart = { refusal, firstExchange: firstExchange!, sdkClientsTrimmed: sdkClientsTrimmed!, baseline: baseline! };

      step(`logging cost: our logger + EMF against Powertools Logger + Metrics (${settings.coldRuns} runs)`);
      const loggingCost = await measureLoggingCost(workDir, references.trivial.file, childEnv(refusalEvent), settings.coldRuns);

      step(`critical path (${settings.delayMs} ms in front of every call, ${settings.pathRuns} warm exchanges per provider)`);
      const providers: BenchProvider[] = ['facebook', 'google-oauth2', 'twitter', 'weibo'];
      const criticalPath = [];
      for (const provider of providers) {
        criticalPath.push(await measureCriticalPath(services, provider, { delayMs: settings.delayMs, runs: settings.pathRuns }));
      }

      // Few runs: every refusal counts against the per-IP failure limit (20 a minute) that the
      // later steps, all from 127.0.0.1, must not reach.
      step(`refused token, Facebook (${settings.delayMs} ms per call, 5 runs): what the attempt limiter adds`);
      const limiterPath = await measureCriticalPath(services, 'facebook', {
        delayMs: settings.delayMs,
        runs: 5,
        variant: { label: 'refused token (expired)', fields: { ...exchangeFields.facebook, access_token: FACEBOOK_TEST_TOKENS.expired }, status: 401, expectedHops: 2 },
      });

      step(`warm native sign-ins at POST /oauth/token: ID token, Apple code (${settings.delayMs} ms per call, ${settings.pathRuns} runs)`);
      const nativePaths = [];
      for (const kind of ['id_token', 'apple_code'] as const) {
        nativePaths.push(await measureIdTokenPath(services, { delayMs: settings.delayMs, runs: settings.pathRuns, kind }));
      }
      step(`refresh path (${settings.delayMs} ms in front of every call, ${settings.pathRuns} refreshes)`);
      const refresh = { path: await measureRefreshPath(services, { delayMs: settings.delayMs, runs: settings.pathRuns }), cpu: refreshCpu };

      step(`throughput (${settings.concurrency.join(', ')} clients, ${settings.throughputSeconds} s each)`);
      const throughput = [];
      for (const clients of settings.concurrency) {
        throughput.push(await measureThroughput(services, { clients, seconds: settings.throughputSeconds }));
      }

      step(`bursts (${settings.burstSize} concurrent first logins, Lambda-like containers)`);
      services.setDelay(0);
      const bursts = await measureBursts({ dynamoEndpoint: services.dynamoEndpoint, kmsEndpoint: services.kms.url }, { size: settings.burstSize });

      const results = {
        generatedAt: new Date().toISOString(),
        durationSeconds: round((Date.now() - started) / 1000, 1),
        machine: { node: process.version, platform: `${process.platform}/${process.arch}`, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown' },
        settings: { ...settings, bundle: LAMBDA_BUNDLE },
        bundles,
        references,
        handlerCost,
        coldStart,
        loggingCost,
        criticalPath,
        nativePaths,
        limiterPath,
        refresh,
        throughput,
        bursts,
        targets: [] as ReturnType<typeof evaluateTargets>,
        costModel: undefined as ReturnType<typeof costModel> | undefined,
      };
      results.targets = evaluateTargets(results);
      results.costModel = costModel(results.handlerCost.withSdk, criticalPath.find((path) => path.provider === 'facebook'));
      writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
      printReport(results);
      for (const path of nativePaths) {
        process.stdout.write(
          `\nwarm ${path.kind} exchange (POST /oauth/token): ${path.medianMs} ms median at ${path.delayMs} ms per call = ` +
            `${path.hops} hops (expected ${path.expectedHops}), ${path.providerCallsPerExchange} provider calls, ` +
            `calls ${JSON.stringify(path.callsPerExchange)}\n`,
        );
      }
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
