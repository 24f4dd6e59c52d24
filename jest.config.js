/** Jest runs the TypeScript sources as ESM through ts-jest (transpile only; `npm run typecheck` type-checks). */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, isolatedModules: true, diagnostics: false }],
  },
  setupFilesAfterEnv: ['<rootDir>/test/setup/no-console.ts'],
  testTimeout: 60000,
};
