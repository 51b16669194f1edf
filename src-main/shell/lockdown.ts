/**
 * What the desktop app's web pages may ask of Chromium: nothing. The renderer and the hidden GPU page use
 * no permission (no camera, microphone, notifications, geolocation, clipboard API, devices, …; the Edit
 * menu's cut/copy/paste are menu roles, not the clipboard permission), so every permission request and
 * check is denied, and device access (USB, HID, serial, Bluetooth) too. The dev server URL
 * (ELECTRON_RENDERER_URL, set by `electron-vite dev`) is honoured in development builds only: a packaged
 * app always loads its bundled pages.
 */
import { app, type Session } from 'electron';

/** The permissions the app grants (none: see above). Add one here only with the page that needs it. */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set<string>();

type PermissionHandlers = Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler'>;

/** Installs the deny-all handlers on `session` (the app's: session.defaultSession). */
export function denyPermissions(session: PermissionHandlers): void {
  session.setPermissionRequestHandler((_contents, permission, callback) => callback(ALLOWED_PERMISSIONS.has(permission)));
  session.setPermissionCheckHandler((_contents, permission) => ALLOWED_PERMISSIONS.has(permission));
  session.setDevicePermissionHandler(() => false);
}

/** The environment variable electron-vite's dev server sets for the renderer's URL. */
export const DEV_SERVER_ENV = 'ELECTRON_RENDERER_URL';

/** The renderer's dev server URL: in a development build only (never when packaged). */
export function devServerUrl(packaged: boolean = app.isPackaged, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (packaged) return undefined;
  const url = env[DEV_SERVER_ENV];
  return url === undefined || url === '' ? undefined : url;
}

/**
 * A packaged app removes ELECTRON_RENDERER_URL from its environment at start, so that no window (the
 * main one, the GPU page) nor the IPC sender check can be pointed at another origin through it.
 */
export function forgetDevServerWhenPackaged(packaged: boolean = app.isPackaged, env: NodeJS.ProcessEnv = process.env): void {
  if (packaged) delete env[DEV_SERVER_ENV];
}
