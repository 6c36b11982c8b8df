import { App } from 'aws-cdk-lib';
import { ContextError } from './config.js';
import { addTokenExchangeStack } from './stack.js';

// Environment-agnostic on purpose: synthesis needs no credentials and makes no lookups.
const app = new App();
try {
  addTokenExchangeStack(app);
} catch (error) {
  // A mistyped `-c key=value` is the operator's to fix: one line naming the key, no stack trace.
  if (!(error instanceof ContextError)) throw error;
  process.stderr.write(`error: ${error.message}\n`);
  process.exit(1);
}
app.synth();
