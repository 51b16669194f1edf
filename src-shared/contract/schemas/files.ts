/**
 * Files: the server-side file browser of browser mode, CSV headers for column mapping, and the desktop
 * app's native open dialogs (browser mode answers `not_available` and the UI falls back to its
 * server-side file browser over `files.list`).
 */
import { z } from 'zod';
import { count } from '../wire';
import { path } from './fields';

export const filesListInput = z.object({
  /** Absent: the user's home folder. */
  path: path.optional(),
  /** Show only files ending in one of these (case-insensitive, e.g. ".csv"); folders are always shown. */
  extensions: z.array(z.string().max(20)).max(20).optional(),
  showHidden: z.boolean().optional(),
});

export const fileEntry = z.object({
  name: z.string(),
  path: z.string(),
  kind: z.enum(['directory', 'file']),
  size: count.nullable(),
});

export const filesList = z.object({
  /** The absolute folder listed. */
  path: z.string(),
  parent: z.string().nullable(),
  entries: z.array(fileEntry),
  /** More entries than the listing limit: some are not shown. */
  truncated: z.boolean(),
});
export type FilesList = z.infer<typeof filesList>;

/** A file-type filter of a native open dialog: extensions without the dot (`csv`), or `*` for any file. */
export const dialogFilter = z.object({
  name: z.string().min(1).max(100),
  extensions: z
    .array(z.string().regex(/^(\*|[A-Za-z0-9][A-Za-z0-9_.-]{0,19})$/, 'an extension without its dot, e.g. "csv", or "*"'))
    .min(1)
    .max(20),
});
export const dialogOpenInput = z.object({
  kind: z.enum(['file', 'folder']),
  title: z.string().max(200).optional(),
  filters: z.array(dialogFilter).max(20).optional(),
});
export type DialogOpenInput = z.infer<typeof dialogOpenInput>;
/** The picked absolute path, or null when the user cancelled. */
export const dialogOpenOutput = z.object({ path: z.string().min(1).nullable() });

export const csvPeekInput = z.object({ path, rows: z.number().int().min(0).max(50).optional() });
export const csvPeek = z.object({ path: z.string(), header: z.array(z.string()), rows: z.array(z.array(z.string())) });
export type CsvPeek = z.infer<typeof csvPeek>;
