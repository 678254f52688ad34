import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two files at a time. Most of the suite waits (on the sandbox's configured lag, on subprocesses,
    // on terminals), so on 2 cores two workers took 142 s where one took 310 s for the same four
    // e2e files; three took 155 s. vitest's default on 2 cores is one worker.
    maxWorkers: 2,
    // Tests build SDK clients directly too; the SDK's notice about future Node 22 releases is noise here.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    reporters: ['default'],
  },
});
