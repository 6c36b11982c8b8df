import type { CriticalPathFigures } from './critical-path.js';
import type { SdkCostFigures } from './sdk-cost.js';
import { round } from './stats.js';

/**
 * What a million warm legacy exchanges cost on AWS, from this run's measured duration and
 * counted calls. Public list prices, us-east-1, as published on the AWS pricing pages
 * (lambda/pricing, api-gateway/pricing, dynamodb/pricing/on-demand, kms/pricing,
 * cloudwatch/pricing), read on PRICES_AS_OF; no free tier, no savings plans.
 */
export const PRICES_AS_OF = '2026-12-01';
export const PRICES_USD = {
  /** Lambda, arm64 (the stack's architecture), per GB-second and per million requests. */
  lambdaArmGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  /** HTTP API, first 300 million requests a month. */
  httpApiPerMillion: 1.0,
  /** DynamoDB on-demand, Standard table class. */
  dynamoPerMillionWriteUnits: 0.625,
  dynamoPerMillionReadUnits: 0.125,
  /** KMS: RSA_2048 requests at the symmetric rate; other asymmetric key specs (ECC_NIST_P256) at 5x. */
  kmsRsaPer10k: 0.03,
  kmsEccPer10k: 0.15,
  /** CloudWatch Logs ingestion (standard class), per GB. */
  logsIngestionPerGb: 0.5,
} as const;

/** The token function's memory in infra/stack.ts. */
export const TOKEN_MEMORY_MB = 1024;
/** The audit line and the EMF metrics line of one exchange, about this many bytes together. */
const LOG_BYTES_PER_EXCHANGE = 900;

export interface CostLine {
  item: string;
  perExchange: string;
  usdPerMillion: number;
}

export interface CostModel {
  durationMs: number;
  durationSource: string;
  lines: CostLine[];
  totalRs256: number;
  totalEs256: number;
}

export const costModel = (sdk: SdkCostFigures, path: CriticalPathFigures | undefined): CostModel => {
  // Billed duration of a warm exchange: the Facebook path with a fixed delay per hop stands
  // in for real round trips (provider ~tens of ms, DynamoDB and KMS a few ms).
  const durationMs = path?.medianMs ?? 120;
  const gbSeconds = (TOKEN_MEMORY_MB / 1024) * (durationMs / 1000);
  const writes = (sdk.sdkCallsPerExchange.UpdateItem ?? 0) + (sdk.sdkCallsPerExchange.PutItem ?? 0);
  const signs = sdk.sdkCallsPerExchange.Sign ?? 0;
  const lines: CostLine[] = [
    { item: 'Lambda requests', perExchange: '1 request', usdPerMillion: PRICES_USD.lambdaPerMillionRequests },
    {
      item: `Lambda duration (${TOKEN_MEMORY_MB} MB, arm64)`,
      perExchange: `${round(durationMs, 1)} ms = ${round(gbSeconds, 4)} GB-s`,
      usdPerMillion: round(gbSeconds * 1e6 * PRICES_USD.lambdaArmGbSecond, 3),
    },
    { item: 'API Gateway HTTP API', perExchange: '1 request', usdPerMillion: PRICES_USD.httpApiPerMillion },
    {
      // Each of identity, user and token items stays under 1 KB: one write unit per write.
      item: 'DynamoDB writes (on-demand)',
      perExchange: `${round(writes, 2)} write units`,
      usdPerMillion: round(writes * PRICES_USD.dynamoPerMillionWriteUnits, 3),
    },
    {
      // Warm exchanges read nothing; the config read is once per container per cache TTL.
      item: 'DynamoDB reads (on-demand)',
      perExchange: `${round(sdk.sdkCallsPerExchange.BatchGetItem ?? 0, 3)} reads (config cache)`,
      usdPerMillion: round((sdk.sdkCallsPerExchange.BatchGetItem ?? 0) * PRICES_USD.dynamoPerMillionReadUnits, 3),
    },
    { item: 'KMS Sign, RS256 (RSA_2048)', perExchange: `${round(signs, 2)} requests`, usdPerMillion: round(signs * PRICES_USD.kmsRsaPer10k * 100, 3) },
    {
      item: 'CloudWatch Logs ingestion',
      perExchange: `~${LOG_BYTES_PER_EXCHANGE} bytes`,
      usdPerMillion: round(((LOG_BYTES_PER_EXCHANGE * 1e6) / 1e9) * PRICES_USD.logsIngestionPerGb, 3),
    },
  ];
  const totalRs256 = round(lines.reduce((sum, line) => sum + line.usdPerMillion, 0), 2);
  const eccExtra = signs * (PRICES_USD.kmsEccPer10k - PRICES_USD.kmsRsaPer10k) * 100;
  return {
    durationMs,
    durationSource: path ? `${path.provider} critical path, ${path.delayMs} ms per hop` : 'default 120 ms',
    lines,
    totalRs256,
    totalEs256: round(totalRs256 + eccExtra, 2),
  };
};
