/**
 * Numbers written the way the Python library's CSVs have them, so that its tools read our exports:
 * `pythonFloat` is Python's `repr(float)` (what pandas' `to_csv` writes for a float cell), and
 * `numpyArrayString` is `str(np.array([...]))` with numpy's default print options (precision 8,
 * floatmode "maxprec", no suppression, line width 75), which is how a `gvec` cell is written.
 */

/** Shortest round-trip digits and decimal exponent of a finite non-zero |x|: x = 0.d₁d₂… × 10^point. */
function shortestDigits(x: number): { digits: string; point: number } {
  const [mantissa, exponent] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  return { digits, point: Number(exponent) + 1 };
}

/**
 * Python's repr of a float: shortest round-trip digits; positional when −4 ≤ exponent < 16, with `.0`
 * for whole numbers; otherwise scientific with a signed exponent of at least two digits.
 * @example pythonFloat(0.1) === '0.1'; pythonFloat(1) === '1.0'; pythonFloat(1e-5) === '1e-05'; pythonFloat(-Infinity) === '-inf'
 */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return `${sign}0.0`;
  const { digits, point } = shortestDigits(x);
  if (point > -4 && point <= 16) {
    if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
    if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}.0`;
    return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  }
  const exponent = point - 1;
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

const PRECISION = 8;
const LINE_WIDTH = 75;

/** numpy's dragon4_positional(x, precision=8, unique=True, trim='.'): shortest digits, cut at 8 decimals. */
function positional(x: number): { int: string; frac: string } {
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const ax = Math.abs(x);
  let text = ax === 0 ? '0' : ax.toString();
  if (text.includes('e')) text = ax.toFixed(20); // not reached in positional mode (|x| ≥ 1e-4), kept for safety
  let [int, frac = ''] = text.split('.');
  if (frac.length > PRECISION) {
    [int, frac = ''] = ax.toFixed(PRECISION).split('.');
    frac = frac.replace(/0+$/, '');
  }
  return { int: sign + int, frac };
}

/** numpy's dragon4_scientific(x, precision=8, unique=True, trim='.'). */
function scientific(x: number): { int: string; frac: string; exp: number } {
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const ax = Math.abs(x);
  if (ax === 0) return { int: `${sign}0`, frac: '', exp: 0 };
  let [mantissa, exponent] = ax.toExponential().split('e');
  let [int, frac = ''] = mantissa.split('.');
  if (frac.length > PRECISION) {
    [mantissa, exponent] = ax.toExponential(PRECISION).split('e');
    [int, frac = ''] = mantissa.split('.');
    frac = frac.replace(/0+$/, '');
  }
  return { int: sign + int, frac, exp: Number(exponent) };
}

/**
 * The element strings of numpy's FloatingFormat for a 1-D float64 array (numpy ≥ 1.14 defaults):
 * scientific when any finite non-zero |x| ≥ 1e8 or < 1e-4 or max/min > 1e3, else positional; every
 * element padded to a common width (sign and integer digits on the left, decimals on the right).
 */
function formatElements(values: readonly number[]): string[] {
  const finite = values.filter((v) => Number.isFinite(v));
  const nonZero = finite.filter((v) => v !== 0).map(Math.abs);
  const max = nonZero.length ? Math.max(...nonZero) : 0;
  const min = nonZero.length ? Math.min(...nonZero) : 0;
  const exponential = nonZero.length > 0 && (max >= 1e8 || min < 1e-4 || max / min > 1000);

  let padLeft = 0, padRight = 0;
  let format: (x: number) => string;
  if (finite.length === 0) {
    format = () => '';
  } else if (exponential) {
    const parts = finite.map(scientific);
    const precision = Math.max(...parts.map((p) => p.frac.length));
    const expDigits = Math.max(2, ...parts.map((p) => String(Math.abs(p.exp)).length));
    padLeft = Math.max(...parts.map((p) => p.int.length));
    padRight = expDigits + 2 + precision;
    format = (x) => {
      const p = scientific(x);
      const mantissa = `${p.int.padStart(padLeft)}.${p.frac.padEnd(precision, '0')}`;
      return `${mantissa}e${p.exp < 0 ? '-' : '+'}${String(Math.abs(p.exp)).padStart(expDigits, '0')}`;
    };
  } else {
    const parts = finite.map(positional);
    padLeft = Math.max(...parts.map((p) => p.int.length));
    padRight = Math.max(...parts.map((p) => p.frac.length));
    format = (x) => {
      const p = positional(x);
      return `${p.int.padStart(padLeft)}.${p.frac.padEnd(padRight)}`;
    };
  }
  if (finite.length !== values.length) {
    const negativeInf = values.some((v) => v === -Infinity);
    const offset = padRight + 1;
    padLeft = Math.max(padLeft, 3 - offset, 3 + (negativeInf ? 1 : 0) - offset);
  }
  return values.map((v) => {
    if (Number.isFinite(v)) return format(v);
    const text = Number.isNaN(v) ? 'nan' : v < 0 ? '-inf' : 'inf';
    return text.padStart(padLeft + padRight + 1);
  });
}

/**
 * `str(np.array(values))` for a 1-D float64 array: elements separated by one space inside brackets,
 * wrapped at numpy's 75-character line width with a one-space hanging indent.
 * @example numpyArrayString([-0.0132]) === '[-0.0132]'; numpyArrayString([-Infinity]) === '[-inf]'
 * @example numpyArrayString([-0.0132, 0.5]) === '[-0.0132  0.5   ]'
 */
export function numpyArrayString(values: readonly number[]): string {
  if (values.length === 0) return '[]';
  const words = formatElements(values);
  const hanging = ' ';
  const width = LINE_WIDTH - 1; // room for the closing bracket
  let text = '';
  let line = hanging;
  words.forEach((word, i) => {
    if (line.length + word.length > width && line.length > hanging.length) {
      text += `${line.trimEnd()}\n`;
      line = hanging;
    }
    line += word;
    if (i < words.length - 1) line += ' ';
  });
  text += line;
  return `[${text.slice(hanging.length)}]`;
}
