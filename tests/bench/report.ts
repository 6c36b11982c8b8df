import { BUNDLE_BUDGET_BYTES, type BundleFigures } from './bundle.js';
import type { BurstFigures } from './burst.js';
import type { ColdStartPairs, ColdStartVariant } from './cold-start.js';
import type { CriticalPathFigures } from './critical-path.js';
import type { HandlerCostFigures } from './handler-cost.js';
import type { SdkCostFigures } from './sdk-cost.js';
import type { ThroughputFigures } from './throughput.js';
import type { RefreshCpuFigures, RefreshPathFigures } from './refresh-path.js';
import type { IdTokenPathFigures } from './id-token-path.js';
import { kib, round } from './stats.js';
import { costModel, PRICES_AS_OF } from './cost-model.js';

/** The performance budget of docs/performance.md (issue 18), checked against one run's figures. */
export interface BenchResults {
  /** Every function of infra/bundling.ts, by name. */
  bundles: Record<string, BundleFigures>;
  references: { trivial: BundleFigures; sdkClients: BundleFigures; sdkClientsTrimmed: BundleFigures };
  handlerCost: { ports: HandlerCostFigures; withFacebookAdapter: HandlerCostFigures; withSdk: SdkCostFigures };
  coldStart: {
    /** The budgeted figure: token refusing an empty body vs the three bare SDK clients. */
    refusal: ColdStartPairs;
    /** The first real exchange against the local stack, and the other references (context). */
    firstExchange: ColdStartVariant;
    sdkClientsTrimmed: ColdStartVariant;
    baseline: ColdStartVariant;
  };
  criticalPath: CriticalPathFigures[];
  /** grant_type=refresh_token (DESIGN section 11). */
  refresh?: { path: RefreshPathFigures; cpu: RefreshCpuFigures };
  /** Native sign-in at POST /oauth/token: an ID token, an Apple authorization code. */
  nativePaths?: IdTokenPathFigures[];
  /** A refused token: the attempt limiter's failure count after the provider's answer. */
  limiterPath?: CriticalPathFigures;
  throughput: ThroughputFigures[];
  /** Absent in results written before the burst benchmark existed. */
  bursts?: BurstFigures[];
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
  /** Stretch goals are reported but do not count as misses. */
  stretch?: boolean;
}

export const COLD_START_RATIO_BUDGET = 0.9;
/** CPU of a warm legacy exchange on the real SDK clients (issue 18: the figure users pay). */
export const HANDLER_CPU_BUDGET_US = 1_000;
export const BUSIEST_LEVEL = 64;
const HOP_BUDGET: Record<string, number> = { facebook: 2, 'google-oauth2': 2, twitter: 2, weibo: 3 };

const NATIVE_LABEL: Record<IdTokenPathFigures['kind'], string> = { id_token: 'ID token (/oauth/token)', apple_code: 'Apple code (/oauth/token)' };

const kb = (bytes: number) => `${round(bytes / 1000, 1)} KB`;

export const evaluateTargets = (results: BenchResults): TargetCheck[] => {
  const handlers = Object.values(results.bundles);
  const busiest = results.throughput.find((level) => level.clients === BUSIEST_LEVEL) ?? results.throughput.at(-1);
  const { refusal } = results.coldStart;
  return [
    ...handlers
      .filter((bundle) => BUNDLE_BUDGET_BYTES[bundle.name] !== undefined)
      .map((bundle) => ({
        target: `${bundle.name} bundle <= ${kb(BUNDLE_BUDGET_BYTES[bundle.name]!)} minified`,
        measured: kb(bundle.minifiedBytes),
        met: bundle.minifiedBytes <= BUNDLE_BUDGET_BYTES[bundle.name]!,
      })),
    {
      target: 'no emulator / local-only code in any bundle',
      measured: handlers.flatMap((bundle) => bundle.forbidden.map((what) => `${bundle.name}: ${what}`)).join('; ') || 'none found',
      met: handlers.every((bundle) => bundle.forbidden.length === 0),
    },
    {
      target: 'no default credential chain (STS, SSO, INI, process) in any bundle',
      measured: handlers.flatMap((bundle) => bundle.credentialChain.map((what) => `${bundle.name}: ${what}`)).join('; ') || 'none found',
      met: handlers.every((bundle) => bundle.credentialChain.length === 0),
    },
    {
      target: `cold start (refusal) <= ${COLD_START_RATIO_BUDGET} x three bare SDK clients`,
      measured: `${refusal.ratio} x (${refusal.subject.median.fromImportMs} ms vs ${refusal.reference.median.fromImportMs} ms; pairs ${refusal.medianPairRatio}, cpu ${refusal.cpuRatio})`,
      met: refusal.ratio <= COLD_START_RATIO_BUDGET,
    },
    ...(results.refresh
      ? [
          {
            target: `refresh critical path <= ${results.refresh.path.expectedHops} round trips`,
            measured: `${results.refresh.path.hops} hops (${results.refresh.path.delays} delays)`,
            met: Math.round(results.refresh.path.hops) <= results.refresh.path.expectedHops,
          },
          {
            target: `handler CPU <= ${HANDLER_CPU_BUDGET_US / 1000} ms per refresh`,
            measured: `${round(results.refresh.cpu.medianCpuUs / 1000, 3)} ms`,
            met: results.refresh.cpu.medianCpuUs <= HANDLER_CPU_BUDGET_US,
          },
        ]
      : []),
    ...(results.limiterPath
      ? [
          {
            target: `${results.limiterPath.provider}, ${results.limiterPath.variant}: ${results.limiterPath.expectedHops} round trips (provider, then the failure count)`,
            measured: `${results.limiterPath.hops} hops; calls ${JSON.stringify(results.limiterPath.callsPerExchange)}`,
            met: Math.round(results.limiterPath.hops) <= results.limiterPath.expectedHops,
          },
        ]
      : []),
    ...(results.nativePaths ?? []).map((path): TargetCheck => ({
      target: `${NATIVE_LABEL[path.kind]}: ${path.expectedHops} sequential round trips`,
      measured: `${path.hops} hops, ${path.providerCallsPerExchange} provider calls`,
      met: Math.round(path.hops) <= path.expectedHops,
    })),
    {
      target: `CPU <= ${HANDLER_CPU_BUDGET_US / 1000} ms per warm exchange on the real SDK clients`,
      measured: `${round(results.handlerCost.withSdk.medianCpuUs / 1000, 3)} ms after ${results.handlerCost.withSdk.warmupExchanges ?? '?'} exchanges (${round((results.handlerCost.withSdk.earlyMedianCpuUs ?? Number.NaN) / 1000, 3)} ms after ${results.handlerCost.withSdk.earlyWarmup ?? '?'})`,
      met: results.handlerCost.withSdk.medianCpuUs <= HANDLER_CPU_BUDGET_US,
    },
    ...results.criticalPath.flatMap((path): TargetCheck[] => [
      {
        // Local overhead (a few ms) is not a hop: judged on whole hops.
        target: `${path.provider}: ${HOP_BUDGET[path.provider] ?? path.expectedHops} sequential round trips`,
        measured: `${path.hops} hops (${path.delays} delays)`,
        met: Math.round(path.hops) <= (HOP_BUDGET[path.provider] ?? path.expectedHops),
      },
      { target: `${path.provider} warm exchanges read no config`, measured: `${path.configReads} BatchGetItem`, met: path.configReads === 0 },
    ]),
    {
      target: `zero errors at ${BUSIEST_LEVEL} concurrent clients`,
      measured: busiest ? `${busiest.errors} errors in ${busiest.exchanges} exchanges (${busiest.clients} clients)` : 'not measured',
      met: busiest !== undefined && busiest.clients === BUSIEST_LEVEL && busiest.errors === 0,
    },
  ];
};

const table = (headers: string[], rows: Array<Array<string | number>>): string => {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...cells.slice(1).map(line)].join('\n');
};

const coldRow = (variant: ColdStartVariant) => [
  variant.label,
  variant.runs,
  variant.median.bootMs,
  variant.median.importMs,
  variant.median.firstInvokeMs,
  variant.median.fromImportMs,
  variant.median.cpuFromImportMs,
  `${round(variant.median.maxRssKiB / 1024, 1)} MiB`,
  variant.median.secondInvokeMs,
];

export const printReport = (results: BenchResults & { targets: TargetCheck[] }): void => {
  const out: string[] = [];
  const section = (title: string, body: string) => out.push('', title, body);
  const { references } = results;

  section(
    'Bundle sizes (esbuild, infra/bundling.ts settings; KB = 1000 bytes)',
    table(
      ['bundle', 'minified', 'gzip', 'source map', 'modules', 'credential chain', 'largest inputs'],
      [
        ...Object.values(results.bundles).map((bundle) => ({ label: bundle.name, bundle })),
        { label: 'reference: 3 SDK clients, plain SDK', bundle: references.sdkClients },
        { label: 'reference: 3 SDK clients, our aliases', bundle: references.sdkClientsTrimmed },
      ].map(({ label, bundle }) => [
        label,
        `${kb(bundle.minifiedBytes)} (${kib(bundle.minifiedBytes)})`,
        kib(bundle.gzipBytes),
        kib(bundle.sourceMapBytes),
        bundle.modules,
        bundle.credentialChain.length === 0 ? 'none' : `${bundle.credentialChain.length} packages`,
        bundle.topContributors.slice(0, 4).map((entry) => `${entry.source} ${kib(entry.bytes)}`).join(', '),
      ]),
    ),
  );

  const { coldStart } = results;
  const { refusal } = coldStart;
  section(
    'Cold start (fresh Node processes, --enable-source-maps as deployed; ms; "from import" = import start to first answer)',
    table(
      ['case', 'runs', 'boot', 'import', 'first invoke', 'from import', 'cpu from import', 'peak RSS', 'second invoke'],
      [refusal.subject, refusal.reference, coldStart.firstExchange, coldStart.sdkClientsTrimmed, coldStart.baseline].map(coldRow),
    ) +
      `\nratio token refusal / three bare SDK clients (${refusal.pairs} alternating pairs): ${refusal.ratio} (median of pair ratios ${refusal.medianPairRatio}; CPU ${refusal.cpuRatio})`,
  );

  const { withSdk } = results.handlerCost;
  section(
    'CPU per warm legacy exchange (handleTokenEvent, every dependency answering instantly)',
    table(
      ['variant', 'median cpu', 'p90 cpu', 'median wall', 'samples'],
      [results.handlerCost.ports, results.handlerCost.withFacebookAdapter, withSdk].map((cost) => [
        cost.label,
        `${cost.medianCpuUs} µs`,
        `${cost.p90CpuUs} µs`,
        `${cost.medianWallUs} µs`,
        `${cost.batches} x ${cost.batchSize}`,
      ]),
    ) +
      `\nSDK calls per exchange (real-SDK variant): ${Object.entries(withSdk.sdkCallsPerExchange).map(([call, count]) => `${call} ${count}`).join(', ')}` +
      `\nreal-SDK variant measured after ${withSdk.warmupExchanges} exchanges (steady state); after ${withSdk.earlyWarmup}: ${round(withSdk.earlyMedianCpuUs / 1000, 3)} ms`,
  );

  const delay = results.criticalPath[0]?.delayMs ?? 0;
  section(
    `Critical path of a warm exchange (${delay} ms before every provider, KMS and DynamoDB call)`,
    table(
      ['provider', 'no delay', 'with delay', 'delays', 'hops', 'expected', 'calls per exchange'],
      results.criticalPath.map((path) => [
        path.provider,
        `${path.baselineMs} ms`,
        `${path.medianMs} ms`,
        path.delays,
        path.hops,
        path.expectedHops,
        Object.entries(path.callsPerExchange).map(([call, count]) => `${call} x${count}`).join(', '),
      ]),
    ),
  );

  if (results.refresh) {
    const { path, cpu } = results.refresh;
    section(
      `Refresh (grant_type=refresh_token): critical path with ${path.delayMs} ms before every KMS and DynamoDB call, and CPU`,
      table(
        ['no delay', 'with delay', 'delays', 'hops', 'expected', 'calls per refresh', 'median cpu', 'p90 cpu'],
        [
          [
            `${path.baselineMs} ms`,
            `${path.medianMs} ms`,
            path.delays,
            path.hops,
            path.expectedHops,
            Object.entries(path.callsPerRefresh).map(([call, count]) => `${call} x${count}`).join(', '),
            `${cpu.medianCpuUs} µs`,
            `${cpu.p90CpuUs} µs`,
          ],
        ],
      ),
    );
  }

  section(
    'Throughput through the local stack (mixed providers, no delay; per core = exchanges per CPU-second of the whole stack)',
    table(
      ['clients', 'exchanges/s', 'per core', 'cores busy', 'p50', 'p99', 'errors', 'exchanges', 'node cpu/exchange', 'stack cpu/exchange'],
      results.throughput.map((level) => [
        level.clients,
        level.perSecond,
        `${level.perCoreSecond}${level.cpuCountsChildren ? '' : ' (this process only)'}`,
        level.coresBusy,
        `${level.p50Ms} ms`,
        `${level.p99Ms} ms`,
        level.errors === 0 ? '0' : `${level.errors} ${JSON.stringify(level.errorKinds)}`,
        level.exchanges,
        `${level.nodeCpuMsPerExchange} ms`,
        `${level.stackCpuMsPerExchange} ms`,
      ]),
    ),
  );

  if (results.bursts) {
    section(
      'Bursts of first logins through the Lambda-like containers (npm start)',
      table(
        ['burst', 'statuses', 'containers', 'cold starts', 'p50', 'p99', 'wall'],
        results.bursts.map((burst) => [
          burst.label,
          Object.entries(burst.statuses).map(([status, count]) => `${status} x${count}`).join(', '),
          burst.containers,
          burst.coldStarts,
          `${burst.p50Ms} ms`,
          `${burst.p99Ms} ms`,
          `${burst.wallMs} ms`,
        ]),
      ),
    );
  }

  const cost = costModel(withSdk, results.criticalPath.find((path) => path.provider === 'facebook'));
  section(
    `Cost per million warm legacy exchanges (us-east-1 list prices of ${PRICES_AS_OF}; duration: ${cost.durationSource})`,
    table(
      ['item', 'per exchange', 'USD per million'],
      [
        ...cost.lines.map((line) => [line.item, line.perExchange, line.usdPerMillion.toFixed(3)]),
        ['total, RS256', '', cost.totalRs256.toFixed(2)],
        ['total, ES256 (KMS ECC requests at $0.15 per 10,000)', '', cost.totalEs256.toFixed(2)],
      ],
    ),
  );

  // Issue 18's table, in its own order, from this one run.
  const bundle = (name: string) => results.bundles[name];
  const hops = (provider: string) => results.criticalPath.find((path) => path.provider === provider)?.hops;
  const busiest = results.throughput.find((level) => level.clients === BUSIEST_LEVEL);
  const legacy = ['facebook', 'google-oauth2', 'twitter'].map(hops).filter((value) => value !== undefined).map((value) => Math.round(value!));
  section(
    'Issue 18 summary (this run)',
    table(
      ['figure', 'measured', 'target'],
      [
        ['token bundle, minified', bundle('token') ? kb(bundle('token')!.minifiedBytes) : '-', '<= 320 KB'],
        ['userinfo / discovery bundles', [bundle('userinfo'), bundle('discovery')].map((b) => (b ? kb(b.minifiedBytes) : '-')).join(' / '), '<= 260 KB each'],
        ['cold start: token refusal / 3 bare SDK clients', `${refusal.ratio} (${refusal.subject.median.fromImportMs} ms vs ${refusal.reference.median.fromImportMs} ms)`, `<= ${COLD_START_RATIO_BUDGET}`],
        ['CPU per warm legacy exchange, real SDK', `${round(withSdk.medianCpuUs / 1000, 2)} ms`, '<= 1.0 ms'],
        ['round trips, legacy (FB, Google, X) / Weibo', `${legacy.join(', ')} / ${hops('weibo') === undefined ? '-' : Math.round(hops('weibo')!)}`, '2 / 3'],
        [
          'round trips, ID token / Apple code / refresh',
          [
            ...['id_token', 'apple_code'].map((kind) => results.nativePaths?.find((path) => path.kind === kind)),
            results.refresh?.path,
          ].map((path) => (path ? Math.round(path.hops) : '-')).join(' / '),
          '1 / 2 / <= 2',
        ],
        ['errors at 64 clients; exchanges/s; per core', busiest ? `${busiest.errors}; ${busiest.perSecond}/s; ${busiest.perCoreSecond}/s per core` : '-', '0'],
      ],
    ),
  );

  section(
    'Targets',
    table(
      ['target', 'measured', 'result'],
      results.targets.map((check) => [check.target, check.measured, check.met ? 'met' : check.stretch ? 'not yet (stretch)' : 'MISSED']),
    ),
  );
  process.stdout.write(`${out.join('\n')}\n`);
};
