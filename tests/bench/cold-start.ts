import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, round } from './stats.js';

/**
 * Cold start: a fresh Node process per sample imports a handler bundle and serves one
 * request. The token function's first exchange includes building its SDK clients, the
 * config BatchGetItem, the signing key's GetPublicKey, the provider calls, the writes and
 * the Sign, all against the local stack; the baseline is a one-line handler bundled the
 * same way, so the ratio says what our code and dependencies add to a bare Node start.
 */
export interface ColdStartSample {
  status: number;
  secondStatus: number;
  bootMs: number;
  importMs: number;
  firstInvokeMs: number;
  toFirstAnswerMs: number;
  /** Import start to first answer: what the bundle and its first request cost, without Node's own boot. */
  fromImportMs: number;
  /** CPU spent over the same span (main and helper threads), less sensitive to a busy machine than time. */
  cpuFromImportMs: number;
  /** The same request again in the same process: the warm cost, for comparison. */
  secondInvokeMs: number;
  /** CPU (user + system, all threads) and peak RSS, both at the first answer. */
  cpuMs: number;
  maxRssKiB: number;
  /** Spawn to exit, measured by the parent. */
  wallMs: number;
}

export interface ColdStartVariant {
  label: string;
  runs: number;
  median: Omit<ColdStartSample, 'status' | 'secondStatus'>;
  samples: ColdStartSample[];
}

const CHILD = fileURLToPath(new URL('./cold-start-child.mjs', import.meta.url));
const MARK = '@@bench ';

export const runColdProcess = (bundle: string, env: Record<string, string>): Promise<ColdStartSample> =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CHILD, bundle], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      const line = stdout.split('\n').find((candidate) => candidate.startsWith(MARK));
      if (code !== 0 || !line) {
        return reject(new Error(`cold-start child exited with ${code}: ${stderr.slice(-500) || stdout.slice(-500)}`));
      }
      resolve({ ...(JSON.parse(line.slice(MARK.length)) as Omit<ColdStartSample, 'wallMs'>), wallMs });
    });
  });

const summarize = (label: string, samples: ColdStartSample[]): ColdStartVariant => {
  const pick = (key: keyof Omit<ColdStartSample, 'status' | 'secondStatus'>) => round(median(samples.map((sample) => sample[key])), 1);
  return {
    label,
    runs: samples.length,
    median: {
      bootMs: pick('bootMs'),
      importMs: pick('importMs'),
      firstInvokeMs: pick('firstInvokeMs'),
      toFirstAnswerMs: pick('toFirstAnswerMs'),
      fromImportMs: pick('fromImportMs'),
      cpuFromImportMs: pick('cpuFromImportMs'),
      secondInvokeMs: pick('secondInvokeMs'),
      cpuMs: pick('cpuMs'),
      maxRssKiB: pick('maxRssKiB'),
      wallMs: pick('wallMs'),
    },
    samples,
  };
};

export interface ColdStartCase {
  label: string;
  bundle: string;
  env: Record<string, string>;
  /** The status the first answer must have (anything else means the sample is meaningless). */
  expectStatus: number;
}

const runChecked = async (coldCase: ColdStartCase): Promise<ColdStartSample> => {
  const sample = await runColdProcess(coldCase.bundle, coldCase.env);
  if (sample.status !== coldCase.expectStatus || sample.secondStatus !== coldCase.expectStatus) {
    throw new Error(`${coldCase.label}: answers were ${sample.status} and ${sample.secondStatus}, expected ${coldCase.expectStatus}`);
  }
  return sample;
};

export interface ColdStartPairs {
  subject: ColdStartVariant;
  reference: ColdStartVariant;
  pairs: number;
  /** Median time from import start of the subject ÷ that of the reference. */
  ratio: number;
  /** The median of the pairs' own ratios (each pair ran back to back): a cross-check of `ratio`. */
  medianPairRatio: number;
  /** The same ratio on CPU time from import start. */
  cpuRatio: number;
}

/**
 * Issue 18's cold-start figure: the subject and the reference run as back-to-back pairs,
 * alternating which goes first, so that a burst of load on a shared machine lands on both.
 */
export const measureColdStartPairs = async (subject: ColdStartCase, reference: ColdStartCase, pairs: number): Promise<ColdStartPairs> => {
  const subjects: ColdStartSample[] = [];
  const references: ColdStartSample[] = [];
  for (let pair = 0; pair < pairs; pair += 1) {
    if (pair % 2 === 0) {
      subjects.push(await runChecked(subject));
      references.push(await runChecked(reference));
    } else {
      references.push(await runChecked(reference));
      subjects.push(await runChecked(subject));
    }
  }
  const subjectFigures = summarize(subject.label, subjects);
  const referenceFigures = summarize(reference.label, references);
  return {
    subject: subjectFigures,
    reference: referenceFigures,
    pairs,
    ratio: round(subjectFigures.median.fromImportMs / referenceFigures.median.fromImportMs, 2),
    medianPairRatio: round(median(subjects.map((sample, index) => sample.fromImportMs / references[index]!.fromImportMs)), 2),
    cpuRatio: round(subjectFigures.median.cpuFromImportMs / referenceFigures.median.cpuFromImportMs, 2),
  };
};

/** Interleaves the cases run by run, so a burst of noise on the shared machine hits all of them. */
export const measureColdStarts = async (cases: ColdStartCase[], runs: number): Promise<ColdStartVariant[]> => {
  const samples = cases.map((): ColdStartSample[] => []);
  for (let run = 0; run < runs; run += 1) {
    for (const [index, coldCase] of cases.entries()) samples[index]!.push(await runChecked(coldCase));
  }
  return cases.map((coldCase, index) => summarize(coldCase.label, samples[index]!));
};
