/**
 * Content hooks that keep tags with their files: a removal drops the tags below the removed URI and
 * a move carries them to the new place, after the indexer (the inner hooks) has durably taken the
 * change — so a failure here never loses an index job.
 */
import type { ContentHooks } from '../hooks.js';
import type { TagStore } from './store.js';

export function withTags(inner: ContentHooks, tags: TagStore): ContentHooks {
  const hooks: ContentHooks = {
    fileWritten: (a, uri) => inner.fileWritten(a, uri),
    removed: async (a, uri) => {
      const tickets = await inner.removed(a, uri);
      await tags.removed(a, uri);
      return tickets;
    },
    moved: async (a, from, to) => {
      const tickets = await inner.moved(a, from, to);
      await tags.moved(a, from, to);
      return tickets;
    },
    messageAdded: (a, s, m) => inner.messageAdded(a, s, m),
    accountDeleted: async (a) => {
      const tickets = await inner.accountDeleted(a);
      await tags.forgetAccount(a);
      return tickets;
    },
  };
  const admit = inner.admit?.bind(inner);
  return admit === undefined ? hooks : { ...hooks, admit };
}
