/**
 * What CertificateButton.vue does on a click: asks main for the certificate (certificates.run or
 * certificates.audit, which return its JSON) and offers it as a download — the browser's downloads in
 * browser mode, the desktop app's save dialog in Electron.
 */
import { ref, shallowRef } from 'vue';
import type { CertificateWritten, FairboundError } from '../../../src-shared/contract';
import { asFairboundError } from './api';

/** Offers `text` as a file named `fileName`. */
export function downloadText(fileName: string, text: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  // The download has started from the link's click; the URL is not needed after this task.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

export function useCertificateDownload() {
  const busy = ref(false);
  const error = shallowRef<FairboundError | null>(null);
  /** The file name of the last certificate offered, else null. */
  const saved = ref<string | null>(null);

  async function download(request: () => Promise<CertificateWritten>): Promise<void> {
    busy.value = true;
    error.value = null;
    saved.value = null;
    try {
      const written = await request();
      downloadText(written.fileName, written.json);
      saved.value = written.fileName;
    } catch (err) {
      error.value = asFairboundError(err);
    } finally {
      busy.value = false;
    }
  }

  return { busy, error, saved, download };
}
