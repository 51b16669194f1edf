/**
 * The desktop app's half of `dialogs.open`: a native open dialog on the focused window. The services'
 * default handler answers `not_available` (browser mode); main.ts passes this one to createServices.
 */
import { BrowserWindow, dialog, type OpenDialogOptions } from 'electron';
import type { Handler } from '../services';

export function openDialogOptions(input: Parameters<Handler<'dialogs.open'>>[0]): OpenDialogOptions {
  return {
    properties: input.kind === 'folder' ? ['openDirectory', 'createDirectory'] : ['openFile'],
    ...(input.title !== undefined ? { title: input.title } : {}),
    ...(input.filters !== undefined && input.kind === 'file' ? { filters: input.filters.map((f) => ({ name: f.name, extensions: [...f.extensions] })) } : {}),
  };
}

export function nativeOpenDialog(focused: () => BrowserWindow | null = () => BrowserWindow.getFocusedWindow()): Handler<'dialogs.open'> {
  return async (input) => {
    const options = openDialogOptions(input);
    const window = focused();
    const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
    return { path: result.canceled ? null : (result.filePaths[0] ?? null) };
  };
}
