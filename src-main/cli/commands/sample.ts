import { parseArgs } from 'node:util';
import { log } from '../../logging/log';
import { createSampleWorkspace } from '../../services/sample';
import { resolveDatabasePath } from '../../store/database';
import { stringifyJson } from '../json';
import type { CliOutput } from '../output';
import { UsageError } from '../usage-error';

export const sampleHelp = `fairbound sample --db <file> [--json]
  Creates the sample workspace in a new database file: 2,000 Fashion-MNIST images (28×28, MIT licence,
  Zalando SE; resources/sample/) with dark/light brightness groups and the upper-body label (classes
  T-shirt/top, pullover, coat, shirt → 1), and one saved constraint, the accuracy ratio of the two groups
  ≥ 0.8 at δ = 0.05. An existing file is refused (exit 2). fairbound serve --sample opens it in a browser.
  The database is --db, else $FAIRBOUND_DB.`;

export async function runSampleCommand(args: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { db: { type: 'string' }, json: { type: 'boolean', default: false } } });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (values.db === undefined && !process.env.FAIRBOUND_DB) throw new UsageError('sample needs --db <file> (a new file)');
  const sample = await createSampleWorkspace(resolveDatabasePath(values.db));
  log.info(`sample workspace created: ${sample.dbPath}`);
  if (values.json) out.stdout(stringifyJson(sample));
  else out.stdout(`created the sample workspace ${sample.dbPath}: dataset ${sample.datasetId} '${sample.datasetName}', constraint ${sample.constraintId}`);
  return 0;
}
