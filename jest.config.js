/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testTimeout: 30000,
  // Two workers even on a 2-core machine (Jest's default is cores - 1): most test time is spent waiting on
  // loopback servers and child processes, not on the CPU. No test depends on a fast machine: timing tests
  // count rounds or bound from below, and waits wait for readiness.
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  // The built package is tested through its own folder (test/package); keep
  // Jest's module map away from dist and scratch folders.
  modulePathIgnorePatterns: ['<rootDir>/dist', '<rootDir>/.tmp'],
};
