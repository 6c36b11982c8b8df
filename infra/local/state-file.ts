import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * `npm start` writes where its services listen to `.local-stack.json` (git-ignored) so the
 * tenant and users CLIs find the running local stack without flags. LOCAL_STACK_STATE_FILE
 * moves it (tests).
 */
export interface LocalStackState {
  pid: number;
  issuer: string;
  dynamoEndpoint: string;
  kmsEndpoint: string;
  /** The key `npm run tenant -- apply` encrypts connection secrets under. */
  secretsKeyId?: string;
  tableName: string;
  region: string;
  /** Base URL of each provider emulator (absent in files written by older versions). */
  emulators?: Record<string, string>;
}

const stateFile = (): string =>
  process.env.LOCAL_STACK_STATE_FILE ?? fileURLToPath(new URL('../../.local-stack.json', import.meta.url));

export const writeLocalState = (state: LocalStackState): void => writeFileSync(stateFile(), `${JSON.stringify(state, null, 2)}\n`);

export const removeLocalState = (): void => rmSync(stateFile(), { force: true });

/** The running local stack, or undefined when none is (a stale file of a dead process is ignored). */
export const readLocalState = (): LocalStackState | undefined => {
  let state: LocalStackState;
  try {
    state = JSON.parse(readFileSync(stateFile(), 'utf8')) as LocalStackState;
  } catch {
    return undefined;
  }
  try {
    process.kill(state.pid, 0);
  } catch {
    return undefined;
  }
  return state;
};
