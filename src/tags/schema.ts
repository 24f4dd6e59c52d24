/** What a retrieval tag is (shared by `fs/attrs/set_tags`, `content/reindex` and the search's `tags`). */
import { z } from 'zod';

/** 1–128 characters without control characters or commas (OpenViking's tags are `key=value`). */
export const tag = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .regex(/^[^\p{Cc},]+$/u, 'a tag has no control characters or commas');

/** A search's `tags`: hits come only from files and folders carrying every one of them. */
export const searchTags = z.array(tag).max(32);
