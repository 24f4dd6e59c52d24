/** The `viking://` virtual filesystem: the Vfs service and what other modules need from it. */
export { Vfs, type VfsOptions } from './vfs.js';
export type { LsEntry, LsOptions, StatResult, TreeEntry, TreeOptions } from './read-ops.js';
export type { WriteMode, WriteRequest } from './write-ops.js';
export type { GlobRequest, GrepMatch, GrepRequest } from './search.js';
export type { SessionMessageReader } from './session-messages.js';
export { isIndexableText } from './text.js';
export { isInternalName } from './names.js';
