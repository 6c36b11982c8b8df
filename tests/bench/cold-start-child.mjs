// Runs in a fresh Node process, like a Lambda cold start: import a handler bundle, invoke it
// once with the event from BENCH_EVENT, report timings on one marked stdout line, exit.
// A second, warm invocation in the same process shows how much of the first one is cold cost.
// Plain JavaScript on purpose: loading tsx here would be measured as part of the cold start.
import { pathToFileURL } from 'node:url';

const bundle = process.argv[2];
const event = JSON.parse(process.env.BENCH_EVENT ?? '{}');

// performance.now() counts from the moment this process began (performance.timeOrigin).
const importStart = performance.now();
const cpuAtImport = process.cpuUsage();
const { handler } = await import(pathToFileURL(bundle).href);
const imported = performance.now();
const response = await handler(event);
const answered = performance.now();
const usage = process.resourceUsage();
const cpuFromImport = process.cpuUsage(cpuAtImport);
const second = await handler(event);
const secondInvokeMs = performance.now() - answered;

process.stdout.write(
  `\n@@bench ${JSON.stringify({
    status: response?.statusCode,
    secondStatus: second?.statusCode,
    bootMs: importStart,
    importMs: imported - importStart,
    firstInvokeMs: answered - imported,
    toFirstAnswerMs: answered,
    fromImportMs: answered - importStart,
    cpuFromImportMs: (cpuFromImport.user + cpuFromImport.system) / 1000,
    secondInvokeMs,
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    maxRssKiB: usage.maxRSS,
  })}\n`,
);
// Keep-alive sockets of the SDK and fetch would otherwise hold the process open.
process.exit(0);
