import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { addTokenExchangeStack } from './infra/stack.js';
const app = new App({ outdir: '/tmp/cdkout14', context: { 'aws:cdk:bundling-stacks': [] } });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
addTokenExchangeStack(app);
try { app.synth(); console.log('ok'); } catch (e) { console.log(String(e).slice(0, 6000)); }
