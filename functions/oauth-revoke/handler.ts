import { loadConfig } from '../config.js';
import { lambdaEntry } from '../http/entry.js';
import { handleRevokeEvent } from './handle.js';
import { createRevokeDependencies } from './runtime.js';

export const handler = lambdaEntry(() => {
  const revoke = createRevokeDependencies(loadConfig());
  return { revoke, edge: revoke.edge };
}, handleRevokeEvent);
