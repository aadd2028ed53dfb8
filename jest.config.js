/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  // The built package is tested through its own folder (test/package); keep
  // Jest's module map away from dist and scratch folders.
  modulePathIgnorePatterns: ['<rootDir>/dist', '<rootDir>/.tmp'],
};
