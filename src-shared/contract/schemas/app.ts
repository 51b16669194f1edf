/** What the app reports about itself. */
import { z } from 'zod';

export const runtime = z.enum(['electron', 'browser']);
export type Runtime = z.infer<typeof runtime>;

export const appInfo = z.object({
  version: z.string(),
  runtime,
  databasePath: z.string(),
  platform: z.string(),
  node: z.string(),
  electron: z.string().nullable(),
  /** Where the file browser starts: the user's home folder. */
  homeDir: z.string(),
});

/** `workspace.openSample`'s answer: the sample workspace's file, which the app switches to next. */
export const openedSample = z.object({ databasePath: z.string() });
