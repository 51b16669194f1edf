/**
 * Reading a certificate file, with a precise error for each way it can be wrong: not JSON (the line and
 * column of the syntax error), not a Fairbound certificate, a schema version this build does not know,
 * or a field that does not fit the schema (its key path).
 */
import { certificate, CERTIFICATE_FORMAT, CERTIFICATE_VERSIONS, type Certificate } from '../../src-shared/contract/schemas';
import { InputError, parseWithSchema, readFileOrThrow, stripBom } from '../errors/input-error';

/** Certificates hold a few numbers per row at most: larger files are not what they claim to be. */
const CERTIFICATE_MAX_BYTES = 256 * 1024 ** 2;

export interface ReadCertificate {
  readonly certificate: Certificate;
  /** The file's JSON as written, whose `settings` are hashed as they are in the file. */
  readonly raw: Record<string, unknown>;
}

/** 1-based line and column of a 0-based character offset. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /at position (\d+)/.exec(message);
    const at = position ? lineAndColumn(text, Number(position[1])) : text.trim() === '' ? null : lineAndColumn(text, text.length);
    const detail = `not valid JSON: ${message.replace(/ in JSON at position \d+.*$/, '')}${at ? ` at line ${at.line}, column ${at.column}` : ' (the file is empty)'}`;
    throw new InputError(detail, { file, ...(at ? { row: at.line } : {}) }, { cause: error });
  }
}

export function parseCertificate(text: string, file: string): ReadCertificate {
  const raw = parseJson(stripBom(text), file);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError('not a Fairbound certificate: expected a JSON object', { file });
  const record = raw as Record<string, unknown>;
  if (record.format !== CERTIFICATE_FORMAT) {
    throw new InputError(`not a Fairbound certificate: expected "format": "${CERTIFICATE_FORMAT}", got ${JSON.stringify(record.format) ?? 'none'}`, { file, key: 'format' });
  }
  if (!(CERTIFICATE_VERSIONS as readonly unknown[]).includes(record.version)) {
    throw new InputError(
      `unknown certificate version ${JSON.stringify(record.version) ?? '(none)'}: this Fairbound reads version${CERTIFICATE_VERSIONS.length > 1 ? 's' : ''} ${CERTIFICATE_VERSIONS.join(', ')} (a newer Fairbound may have written it)`,
      { file, key: 'version' },
    );
  }
  return { certificate: parseWithSchema(certificate, raw, file), raw: record };
}

export function readCertificateFile(file: string): ReadCertificate {
  return parseCertificate(readFileOrThrow(file, CERTIFICATE_MAX_BYTES).toString('utf8'), file);
}
