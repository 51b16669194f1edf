/**
 * Every export and report file is written here: into a temporary file created exclusively (`wx`: a file
 * or symlink already at that name is an error, never followed) under an unpredictable name in the
 * target's own folder, then renamed onto the target. A crash never leaves a truncated file under the real
 * name, a failed write leaves no temporary file behind, and a planted symlink is replaced by the rename,
 * its pointee untouched. Replacing an existing target is the caller's explicit choice (`overwrite`: the
 * CLI's --force, the routes' `overwrite` flag); otherwise the write is refused with TargetExistsError.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, lstatSync, mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ServiceError } from '../errors/reported-error';

export interface SafeWriteOptions {
  /** Replace an existing target (a file or a symlink: the link itself, never what it points to). Default false. */
  readonly overwrite?: boolean;
}

/** The target exists and the caller did not ask to overwrite it (contract code `conflict`). */
export class TargetExistsError extends ServiceError {
  constructor(readonly path: string) {
    super('conflict', `${path} already exists; confirm overwriting it to replace it`);
  }
}

/** A fresh temporary name next to `target`: `.<name>.<12 hex digits>.tmp`. */
export function temporaryPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Is there anything (file, folder, symlink, even a dangling one) at `path`? */
export function pathTaken(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    if (error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return false;
    throw error;
  }
}

/**
 * Refuses (TargetExistsError, the first one found) when any of `paths` exists and `overwrite` is not set.
 * Exports of several files call it first so that a refusal leaves none of them written.
 */
export function refuseExisting(paths: readonly string[], options: SafeWriteOptions = {}): void {
  if (options.overwrite === true) return;
  for (const path of paths) if (pathTaken(path)) throw new TargetExistsError(path);
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone (or never created): nothing to clean up.
  }
}

/** Moves the finished temporary file onto `target`, refusing an existing target unless `overwrite`. */
function publish(temporary: string, target: string, overwrite: boolean): void {
  if (overwrite) {
    renameSync(temporary, target);
    return;
  }
  // A hard link fails with EEXIST if anything appeared at the target meanwhile: no check-then-write race.
  try {
    linkSync(temporary, target);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? error.code : undefined;
    if (code === 'EEXIST') throw new TargetExistsError(target);
    // File systems without hard links: check, then rename.
    if (pathTaken(target)) throw new TargetExistsError(target);
    renameSync(temporary, target);
    return;
  }
  removeQuietly(temporary);
}

/** Writes `data` to `target` through a temporary file and a rename (see the module comment). */
export function writeFileSafely(target: string, data: string | Uint8Array, options: SafeWriteOptions = {}): void {
  const overwrite = options.overwrite === true;
  refuseExisting([target], options);
  const temporary = temporaryPathFor(target);
  let created = false;
  try {
    writeFileSync(temporary, data, { flag: 'wx', mode: 0o666 });
    created = true;
    publish(temporary, target, overwrite);
  } catch (error) {
    // An EEXIST before `created` is someone else's file at the temporary name: not ours to remove.
    const foreign = !created && error instanceof Error && 'code' in error && error.code === 'EEXIST';
    if (!foreign) removeQuietly(temporary);
    throw error;
  }
}

/**
 * Writes several files under `dir` (paths relative to it; their folders are created): all or none is
 * refused (checked before any is written), each written as writeFileSafely writes one.
 */
export function writeFilesSafely(dir: string, files: readonly { readonly file: string; readonly data: string | Uint8Array }[], options: SafeWriteOptions = {}): void {
  refuseExisting(
    files.map((f) => join(dir, f.file)),
    options,
  );
  for (const { file, data } of files) {
    const target = join(dir, file);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSafely(target, data, options);
  }
}
