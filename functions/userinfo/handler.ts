import { loadConfig } from '../config.js';
import { lambdaEntry } from '../http/entry.js';
import { handleUserinfoEvent } from './handle.js';
import { createUserinfoDependencies } from './runtime.js';

export const handler = lambdaEntry(() => createUserinfoDependencies(loadConfig()), handleUserinfoEvent);
