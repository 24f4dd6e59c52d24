/** Fails any test that writes to the console: output belongs to the logger, which is silent in tests. */
for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  console[method] = (...args: unknown[]): void => {
    throw new Error(`console.${method} called in a test: ${args.map(String).join(' ')}`);
  };
}
