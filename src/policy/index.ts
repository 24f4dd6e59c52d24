/** The policy core: URIs, identities, the namespace policy, filter expressions and visibility. Pure. */
export * from './types.js';
export * from './ids.js';
export * from './uri.js';
export * from './columns.js';
export * from './expr.js';
export * from './visibility.js';
export * from './sql.js';
