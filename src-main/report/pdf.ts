/**
 * The report's PDF (and PNG preview) through Chromium's own print, driven by playwright-core. Only a
 * system Chromium is used (no browser download); CHROMIUM_PATH overrides /usr/bin/chromium.
 */
import { existsSync } from 'node:fs';
import { refuseExisting, writeFileSafely, type SafeWriteOptions } from '../data/safe-write';

export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM_PATH;
}

export class ChromiumMissingError extends Error {
  override readonly name = 'ChromiumMissingError';
}

async function withPage<T>(html: string, work: (page: import('playwright-core').Page) => Promise<T>): Promise<T> {
  const path = chromiumPath();
  if (!existsSync(path)) throw new ChromiumMissingError(`Chromium was not found at ${path} (set CHROMIUM_PATH to another binary); it is needed to print the report as PDF`);
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (error) {
    throw new ChromiumMissingError(`playwright-core is not installed, so Chromium cannot be driven to print the PDF (${error instanceof Error ? error.message : String(error)})`);
  }
  const browser = await chromium.launch({
    executablePath: path,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1150, height: 900 } });
    await page.setContent(html, { waitUntil: 'load' });
    return await work(page);
  } finally {
    await browser.close();
  }
}

// Chromium returns the bytes (no `path`: playwright would write the file itself, following symlinks);
// they are written through a temporary file and a rename (data/safe-write.ts). An existing target is
// refused before Chromium starts unless `overwrite`.

/** Prints the HTML to a PDF file (A4, backgrounds on). */
export async function printPdf(html: string, outFile: string, options: SafeWriteOptions = {}): Promise<void> {
  refuseExisting([outFile], options);
  const bytes = await withPage(html, async (page) => {
    await page.emulateMedia({ media: 'print' });
    return await page.pdf({ format: 'A4', printBackground: true, margin: { top: '14mm', bottom: '14mm', left: '12mm', right: '12mm' } });
  });
  writeFileSafely(outFile, bytes, options);
}

/** A full-page PNG of the HTML (to look at a report). */
export async function screenshotPng(html: string, outFile: string, options: SafeWriteOptions = {}): Promise<void> {
  refuseExisting([outFile], options);
  const bytes = await withPage(html, (page) => page.screenshot({ fullPage: true }));
  writeFileSafely(outFile, bytes, options);
}
