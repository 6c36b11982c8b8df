import { defineConfig } from 'vitest/config';

// The real-browser tests (`npm run test:browser`): they need Debian's `chromium`, which
// `.ci/run` installs when missing, so they stay out of `npm test`.
export default defineConfig({
  test: {
    include: ['tests/browser/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 90_000,
    pool: 'forks',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    setupFiles: ['tests/support/setup.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
  },
});
