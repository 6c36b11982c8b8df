import { setLogSink } from '../../functions/core/logger.js';

// The local services accept any credentials; the SDK needs some to sign requests.
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

// Keep test output readable; tests that check logs install their own sink.
setLogSink(() => undefined);
