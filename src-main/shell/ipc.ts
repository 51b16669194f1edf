/**
 * IPC for the desktop app: the contract on two channels only. The invoke channel
 * carries `{ route, input }` for every route; main re-checks the route name and dispatches from the same
 * handler table the bridge uses. The event channel carries every event to every window.
 */
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { EVENT_CHANNEL, INVOKE_CHANNEL, invokeMessage, type ReplyEnvelope } from '../../src-shared/contract/channels';
import type { Services } from '../services';

/** Only our own bundle (or the dev server) may call: not a page a frame navigated to. */
function trustedSender(event: IpcMainInvokeEvent, devServer: string | undefined): boolean {
  const url = event.senderFrame?.url ?? '';
  return url.startsWith('file://') || (devServer !== undefined && url.startsWith(devServer));
}

export function registerIpc(services: Services, windows: () => readonly WebContents[], devServer = process.env.ELECTRON_RENDERER_URL): () => void {
  ipcMain.handle(INVOKE_CHANNEL, async (event, raw: unknown): Promise<ReplyEnvelope> => {
    if (!trustedSender(event, devServer)) return { ok: false, error: { name: 'Forbidden', code: 'bad_request', message: 'untrusted sender' } };
    const message = invokeMessage.safeParse(raw);
    if (!message.success) return { ok: false, error: { name: 'BadRequest', code: 'bad_request', message: 'expected { route, input }' } };
    return services.invoke(message.data.route, message.data.input);
  });
  const unsubscribe = services.subscribe((message) => {
    for (const contents of windows()) if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, message);
  });
  return () => {
    unsubscribe();
    ipcMain.removeHandler(INVOKE_CHANNEL);
  };
}
