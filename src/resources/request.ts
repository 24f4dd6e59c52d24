/**
 * The body of `POST /api/v1/resources`: OpenViking's `AddResourceRequest` field for field (names,
 * defaults). Fields OpenViking uses for model-driven processing (`instruction`, `strict`,
 * `directly_upload_media`, `telemetry`) are accepted and have no effect here; watching a resource
 * (`watch_interval > 0`) is not supported and refused.
 */
import { z } from 'zod';

const optionalText = z.string().nullish();

export const addResourceSchema = z
  .object({
    path: z.string().min(1).nullish(),
    temp_file_id: z.string().min(1).nullish(),
    to: z.string().min(1).nullish(),
    parent: z.string().min(1).nullish(),
    reason: z.string().max(10_000).default(''),
    instruction: z.string().max(10_000).default(''),
    wait: z.boolean().default(false),
    /** Seconds; null means the default (30), as for every other `wait`. */
    timeout: z.number().positive().max(3600).nullish(),
    strict: z.boolean().optional(),
    source_name: z.string().min(1).max(255).nullish(),
    ignore_dirs: optionalText,
    include: optionalText,
    exclude: optionalText,
    directly_upload_media: z.boolean().optional(),
    preserve_structure: z.boolean().nullish(),
    telemetry: z.unknown().optional(),
    watch_interval: z.number().default(0),
  })
  .refine((body) => Boolean(body.path) || Boolean(body.temp_file_id), {
    message: "either 'path' or 'temp_file_id' must be provided",
    path: ['path'],
  })
  .refine((body) => !(body.to && body.parent), {
    message: "'to' and 'parent' cannot be used together",
    path: ['parent'],
  })
  .refine((body) => body.watch_interval <= 0, {
    message: 'watching a resource (watch_interval > 0) is not supported',
    path: ['watch_interval'],
  });

export type AddResourceRequest = z.infer<typeof addResourceSchema>;
