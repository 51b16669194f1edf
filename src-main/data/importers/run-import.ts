/**
 * The import use-case: one function from the contract's ImportRequest to the importer of its format.
 * Both faces call it — the app's `datasets.import` route inside its import worker thread
 * (jobs/import-thread/serve.ts), the CLI (`fairbound import`) in-process — so the same request stores the
 * same dataset.
 */
import type { ImportRequest } from '../../../src-shared/contract/schemas';
import type { WritableDB } from '../../store/database';
import { importIdx } from './idx';
import { importImageFolder } from './image-folder';
import { importPixelCsv } from './pixel-csv';
import { importSeldonian } from './seldonian';
import type { ImportContext, ImportResult } from './session';

/** Imports the dataset a (parsed) request describes: one transaction, progress and cancel through `context`. */
export function importDataset(db: WritableDB, request: ImportRequest, context: ImportContext): Promise<ImportResult> {
  switch (request.format) {
    case 'folder': {
      const { format: _format, ...options } = request;
      return importImageFolder(db, options, context);
    }
    case 'pixels': {
      const { format: _format, ...options } = request;
      return importPixelCsv(db, options, context);
    }
    case 'idx': {
      const { format: _format, ...options } = request;
      return importIdx(db, options, context);
    }
    case 'seldonian': {
      const { format: _format, ...options } = request;
      return importSeldonian(db, options, context);
    }
  }
}
