/** The pipeline's journal contract (./pipeline-suite.ts) on the data directory's file queue. */
import { pipelineSuite } from './pipeline-suite.js';

pipelineSuite({ open: () => undefined });
