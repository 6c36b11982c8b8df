import { loadConfig } from '../config.js';
import { lambdaEntry } from '../http/entry.js';
import { handleDiscoveryEvent } from './handle.js';
import { createDiscoveryDependencies } from './runtime.js';

export const handler = lambdaEntry(() => createDiscoveryDependencies(loadConfig()), handleDiscoveryEvent);
