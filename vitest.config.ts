import { defineConfig } from 'vitest/config';

// Unit tests run alone; integration tests share one DynamoDB Local and one KMS endpoint
// started by the global setup; infra tests synthesize the CDK stack.
export default defineConfig({
  test: {
    exclude: ['tests/bench/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The SDK warns that its 2027 releases will need Node 22; CI runs Node 20 today.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    setupFiles: ['tests/support/setup.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          globalSetup: ['tests/support/global-setup.ts'],
        },
      },
      { extends: true, test: { name: 'infra', include: ['tests/infra/**/*.test.ts'] } },
    ],
  },
});
