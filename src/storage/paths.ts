/** Where things live under DATA_DIR. The only module that maps canonical URIs to disk paths. */
import { join } from 'node:path';
import { URI_PREFIX } from '../policy/uri.js';

/** Folder of internal state inside an account (never visible through any API). */
export const SYSTEM_DIR = '_system';

export function accountDir(dataDir: string, account_id: string): string {
  return join(dataDir, 'fs', account_id);
}

export function systemDir(dataDir: string, account_id: string): string {
  return join(accountDir(dataDir, account_id), SYSTEM_DIR);
}

/** Disk path of a canonical URI (`viking://` maps to the account folder). */
export function pathOfUri(dataDir: string, account_id: string, canonicalUri: string): string {
  const rest = canonicalUri.startsWith(URI_PREFIX) ? canonicalUri.slice(URI_PREFIX.length) : canonicalUri;
  return rest.length === 0
    ? accountDir(dataDir, account_id)
    : join(accountDir(dataDir, account_id), ...rest.split('/'));
}
