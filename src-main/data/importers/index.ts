/**
 * The importers' service API: plain async functions taking the open (writable) database handle, an
 * options object and `{ signal, onProgress, onJobStarted }`. Each import is all-or-nothing (see
 * session.ts); bad input throws an InputError naming the file, row and column.
 */
export type { AttributeOptions, DerivedAttribute } from './attributes';
export { importIdx, type IdxAttributeSource, type IdxOptions, type IdxPair } from './idx';
export { importImageFolder, type ImageFolderOptions } from './image-folder';
export type { LabelOptions } from './labels';
export { importPixelCsv, type PixelCsvOptions } from './pixel-csv';
export { importDataset } from './run-import';
export { importSeldonian, type SeldonianImportOptions } from './seldonian';
export {
  ImportCancelledError,
  type CommonImportOptions,
  type ImportContext,
  type ImportProgress,
  type ImportResult,
} from './session';
