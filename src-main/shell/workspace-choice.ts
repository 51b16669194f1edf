/**
 * Choosing a workspace in the desktop app: File → Open workspace… / New workspace… (the native dialogs),
 * and what happens at start when the workspace to open ($FAIRBOUND_DB, the remembered one or the
 * default) cannot be opened — corrupt, from a newer version, not a Fairbound workspace: a dialog says why
 * and offers Open workspace… / New workspace… / Quit, until a workspace opens or the user quits. Never a
 * window-less app with an unhandled rejection.
 */
import { existsSync } from 'node:fs';
import { app, BrowserWindow, dialog } from 'electron';

const WORKSPACE_FILTERS = [{ name: 'Fairbound workspace', extensions: ['db'] }];

/** File → Open workspace…: the chosen existing file, or undefined when cancelled. */
export async function pickWorkspaceToOpen(): Promise<string | undefined> {
  const options = { title: 'Open workspace', properties: ['openFile' as const], filters: WORKSPACE_FILTERS };
  const window = BrowserWindow.getFocusedWindow();
  const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
  return result.canceled ? undefined : result.filePaths[0];
}

/** File → New workspace…: a path that does not exist yet, or undefined (cancelled, or the file exists). */
export async function pickNewWorkspace(): Promise<string | undefined> {
  const options = { title: 'New workspace', defaultPath: 'fairbound.db', filters: WORKSPACE_FILTERS };
  const window = BrowserWindow.getFocusedWindow();
  const result = window ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options);
  if (result.canceled || !result.filePath) return undefined;
  // A new workspace never replaces a file: opening an existing one is File → Open workspace….
  if (existsSync(result.filePath)) {
    dialog.showErrorBox('The file exists', `${result.filePath} already exists. Use File → Open workspace… to open it.`);
    return undefined;
  }
  return result.filePath;
}

/** The buttons of the startup failure dialog, in order. */
export const STARTUP_CHOICES = ['Open workspace…', 'New workspace…', 'Quit'] as const;

export interface StartupWorkspaceActions {
  /** Opens the workspace (the services on it); throws when it cannot be opened. */
  open(path: string): void;
  /** Defaults: the File menu's dialogs above. */
  pickExisting?(): Promise<string | undefined>;
  pickNew?(): Promise<string | undefined>;
}

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Opens `path`; while the workspace cannot be opened, shows why and acts on the user's choice: Open
 * workspace… (the open dialog), New workspace… (the save dialog) or Quit (app.quit). A cancelled file
 * dialog shows the choice again. Returns the path opened, or undefined when the user quit.
 */
export async function openStartupWorkspace(path: string, actions: StartupWorkspaceActions): Promise<string | undefined> {
  const pickExisting = actions.pickExisting ?? pickWorkspaceToOpen;
  const pickNew = actions.pickNew ?? pickNewWorkspace;
  let candidate = path;
  for (;;) {
    let failure: string;
    try {
      actions.open(candidate);
      return candidate;
    } catch (error) {
      failure = reasonOf(error);
    }
    let next: string | undefined;
    do {
      const { response } = await dialog.showMessageBox({
        type: 'error',
        title: 'Cannot open the workspace',
        message: `Fairbound cannot open the workspace ${candidate}`,
        detail: `${failure}\n\nOpen another workspace, create a new one, or quit.`,
        buttons: [...STARTUP_CHOICES],
        defaultId: 0,
        cancelId: 2,
        noLink: true,
      });
      if (response === 0) next = await pickExisting();
      else if (response === 1) next = await pickNew();
      else {
        app.quit();
        return undefined;
      }
    } while (next === undefined);
    candidate = next;
  }
}
