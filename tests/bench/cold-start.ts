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

/** Interleaves the cases run by run, so a burst of noise on the shared machine hits all of them. */
export const measureColdStarts = async (cases: ColdStartCase[], runs: number): Promise<ColdStartVariant[]> => {
  const samples = cases.map((): ColdStartSample[] => []);
  for (let run = 0; run < runs; run += 1) {
    for (const [index, coldCase] of cases.entries()) {
      const sample = await runColdProcess(coldCase.bundle, coldCase.env);
      if (sample.status !== coldCase.expectStatus || sample.secondStatus !== coldCase.expectStatus) {
        throw new Error(`${coldCase.label}: answers were ${sample.status} and ${sample.secondStatus}, expected ${coldCase.expectStatus}`);
      }
      samples[index]!.push(sample);
    }
  }
  return cases.map((coldCase, index) => summarize(coldCase.label, samples[index]!));
};
