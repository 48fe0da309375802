// One backend (the embedded default + the fake WeChat server) for the whole run, started by
// globalSetup; the scenario files share it, so they run in band and each uses fresh people.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.js'],
  globalSetup: '<rootDir>/test/setup/global-setup.js',
  globalTeardown: '<rootDir>/test/setup/global-teardown.js',
  testTimeout: 30000,
  // One backend for all files: parallel files would share station queues and households.
  maxWorkers: 1,
  // Pages are loaded fresh per test through the harness, never cached between files.
  resetModules: true,
}
