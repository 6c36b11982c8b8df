import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFacebookEmulator, type FacebookEmulatorHandle } from '../../infra/local/emulators/facebook.js';

// The fault switch `npm start` users curl at: a typo must be refused, not taken for a fault.
let emulator: FacebookEmulatorHandle;
const control = (body: string) => fetch(`${emulator.url}/__emulator/fault`, { method: 'POST', body });
const me = () => fetch(`${emulator.url}/v25.0/me?access_token=x`);

beforeAll(async () => {
  emulator = await startFacebookEmulator();
});
afterAll(() => emulator.close());

describe('emulator fault switch', () => {
  it.each([
    ['{"kind":"explode"}', /unknown fault kind "explode"; kinds: status, hang, garbage, reset, delay/],
    ['{"kind":"status"}', /status fault needs status/],
    ['{"kind":"status","status":"500"}', /status fault needs status/],
    ['{"kind":"delay"}', /delay fault needs ms/],
    ['{"kind":"delay","ms":-1}', /delay fault needs ms/],
    ['{"kind":"hang","times":0}', /times must be a positive whole number/],
    ['{"status":500}', /kind is missing; kinds: status/],
    ['[1]', /fault object or null/],
    ['not json', /must be JSON/],
  ])('refuses %s with 400 and the reason', async (body, message) => {
    const response = await control(body);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(message);
  });

  it('switches a valid fault on for the given number of calls, and null clears it', async () => {
    expect((await control('{"kind":"status","status":502,"times":1}')).status).toBe(204);
    expect((await me()).status).toBe(502);
    expect((await me()).status).not.toBe(502);

    expect((await control('{"kind":"status","status":500}')).status).toBe(204);
    expect((await me()).status).toBe(500);
    expect((await control('null')).status).toBe(204);
    expect((await me()).status).not.toBe(500);
  });

  it('keeps the previous fault when a command is refused', async () => {
    expect((await control('{"kind":"status","status":503}')).status).toBe(204);
    expect((await control('{"kind":"explode"}')).status).toBe(400);
    expect((await me()).status).toBe(503);
    await control('null');
  });
});
