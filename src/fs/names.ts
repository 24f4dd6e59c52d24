/**
 * Names in listings: internal names never appear (the rule is shared with the indexer, in
 * storage/names.ts); hidden (dot) names appear only on request.
 */
export { isInternalName } from '../storage/names.js';

/** Hidden (dot) names are listed only on request, like `ls -a`. */
export function isHiddenName(name: string): boolean {
  return name.startsWith('.');
}
