import { exchange, throughputMix, type BenchServices } from './services.js';
import { processTreeCpu } from './process-cpu.js';
import { quantile, round } from './stats.js';

/**
 * Exchanges per second through the whole local stack (API Gateway emulation, handler,
 * emulated providers, KMS endpoint, DynamoDB Local) with N clients each sending its next
 * request as soon as the previous one is answered. Everything shares this machine's
 * cores, so the figure bounds the local stack, not a Lambda fleet (which scales out).
 */
export interface ThroughputFigures {
  clients: number;
  seconds: number;
  exchanges: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Non-200 statuses (and network errors) seen, with their counts. */
  errorKinds: Record<string, number>;
  /** CPU of this Node process (stack, emulators, clients; not the DynamoDB Local JVM) per exchange. */
  nodeCpuMsPerExchange: number;
  /** CPU of the whole local stack (this process and its children, DynamoDB Local included) per exchange. */
  stackCpuMsPerExchange: number;
  /** Exchanges per CPU-second of the whole stack: what one fully busy core would serve. */
  perCoreSecond: number;
  /** Cores the stack kept busy on average during the window. */
  coresBusy: number;
  /** False when only this process could be counted (no /proc). */
  cpuCountsChildren: boolean;
}

export const measureThroughput = async (
  services: BenchServices,
  options: { clients: number; seconds: number },
): Promise<ThroughputFigures> => {
  const { url } = services.stack;
  services.setDelay(0);
  // Warm every config cache entry and user first, so the window measures the warm path.
  for (const fields of throughputMix) await exchange(url, fields);

  const latencies: number[] = [];
  const errorKinds: Record<string, number> = {};
  let next = 0;
  const deadline = performance.now() + options.seconds * 1000;
  const cpuBefore = process.cpuUsage();
  const treeBefore = processTreeCpu();
  const started = performance.now();
  const client = async () => {
    while (performance.now() < deadline) {
      const fields = throughputMix[next++ % throughputMix.length]!;
      const outcome = await exchange(url, fields);
      latencies.push(outcome.ms);
      if (outcome.status !== 200) errorKinds[String(outcome.status)] = (errorKinds[String(outcome.status)] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.clients }, client));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const treeAfter = processTreeCpu();
  const stackSeconds = treeAfter.seconds - treeBefore.seconds;
  return {
    clients: options.clients,
    seconds: round(elapsed, 2),
    exchanges: latencies.length,
    perSecond: round(latencies.length / elapsed, 1),
    p50Ms: round(quantile(latencies, 0.5), 1),
    p99Ms: round(quantile(latencies, 0.99), 1),
    errors: Object.values(errorKinds).reduce((sum, count) => sum + count, 0),
    errorKinds,
    nodeCpuMsPerExchange: round((cpu.user + cpu.system) / 1000 / latencies.length, 2),
    stackCpuMsPerExchange: round((stackSeconds * 1000) / latencies.length, 2),
    perCoreSecond: round(latencies.length / stackSeconds, 1),
    coresBusy: round(stackSeconds / elapsed, 2),
    cpuCountsChildren: treeAfter.tree,
  };
};
