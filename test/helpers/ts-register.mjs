// Lets a child `node` process run our TypeScript sources directly (`node --import
// ./test/helpers/ts-register.mjs file.ts`): tests that must leave jest's VM realm (onnxruntime-node
// rejects typed arrays from another realm) still exercise the source, not a stale build.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
