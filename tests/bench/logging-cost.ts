import { bundleEntry, type BundleFigures } from './bundle.js';
import { measureColdStarts, type ColdStartVariant } from './cold-start.js';
import { round } from './stats.js';

/**
 * What Powertools for AWS Lambda's Logger + Metrics would cost us against our own logger
 * and EMF writer (functions/core/logger.ts, metrics.ts): the same work (one structured
 * line, one EMF record) in two bundles built like the real ones, then their sizes and cold
 * starts, interleaved with the one-line baseline. The decision it informs is written up in
 * docs/performance.md ("Logging and metrics: Powertools or our own").
 */
export interface LoggingCostFigures {
  bundles: { ours: BundleFigures; powertools: BundleFigures };
  coldStart: { ours: ColdStartVariant; powertools: ColdStartVariant; baseline: ColdStartVariant };
  /** Powertools minus ours. */
  delta: { minifiedBytes: number; gzipBytes: number; importMs: number; toFirstAnswerMs: number };
}

export const measureLoggingCost = async (
  workDir: string,
  baselineBundle: string,
  env: Record<string, string>,
  runs: number,
): Promise<LoggingCostFigures> => {
  const ours = await bundleEntry('logging-ours', 'tests/bench/fixtures/logging-ours.ts', workDir, { kind: 'reference' });
  const powertools = await bundleEntry('logging-powertools', 'tests/bench/fixtures/logging-powertools.ts', workDir, { kind: 'reference' });
  const [oursCold, powertoolsCold, baseline] = await measureColdStarts(
    [
      { label: 'our logger + EMF writer', bundle: ours.file, env, expectStatus: 200 },
      { label: 'Powertools Logger + Metrics', bundle: powertools.file, env, expectStatus: 200 },
      { label: 'one-line handler (baseline)', bundle: baselineBundle, env, expectStatus: 200 },
    ],
    runs,
  );
  return {
    bundles: { ours, powertools },
    coldStart: { ours: oursCold!, powertools: powertoolsCold!, baseline: baseline! },
    delta: {
      minifiedBytes: powertools.minifiedBytes - ours.minifiedBytes,
      gzipBytes: powertools.gzipBytes - ours.gzipBytes,
      importMs: round(powertoolsCold!.median.importMs - oursCold!.median.importMs, 1),
      toFirstAnswerMs: round(powertoolsCold!.median.toFirstAnswerMs - oursCold!.median.toFirstAnswerMs, 1),
    },
  };
};
