/** Jest global teardown: removes the run's shared project build (see build-dir.mjs). */
export { teardown as default } from './build-dir.mjs';
