import { App } from 'aws-cdk-lib';
import { addTokenExchangeStack } from './stack.js';

// Environment-agnostic on purpose: synthesis needs no credentials and makes no lookups.
const app = new App();
addTokenExchangeStack(app);
app.synth();
