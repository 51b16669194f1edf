/**
 * The constraint builder's blocks and presets, as pure functions (unit-tested): what each block inserts
 * and where the cursor goes after it.
 */

export const MEASURES = ['PR', 'NR', 'FPR', 'TPR', 'FNR', 'TNR', 'ACC'] as const;
export type Measure = (typeof MEASURES)[number];

export interface Snippet {
  readonly text: string;
  /** Cursor position inside `text` after inserting (default: after it). */
  readonly cursor?: number;
  /** For functions: wrap the selection as the argument (`abs(` + selection + `)`), the cursor at `at` in `after`. */
  readonly wrap?: { readonly before: string; readonly after: string; readonly at?: number };
  /**
   * Where it belongs rather than at the cursor: `top` (an inequality: outside every bracket, after the
   * bracket the cursor is in closes), `argument` (a comma: in the innermost min( )/max( ) around the
   * cursor, after any bracket inside it that the cursor is in closes).
   */
  readonly place?: 'top' | 'argument';
}

export interface Edit {
  readonly text: string;
  readonly selectionStart: number;
  readonly selectionEnd: number;
}

/** The brackets open at `at`, innermost last: where each opened, and the name of the function it calls, if any. */
function openBrackets(text: string, at: number): { open: number; fn: string }[] {
  const stack: { open: number; fn: string }[] = [];
  for (let i = 0; i < at; i++) {
    const ch = text[i];
    if (ch === '(' || ch === '[') stack.push({ open: i, fn: ch === '(' ? (/([A-Za-z_]\w*)\s*$/.exec(text.slice(0, i))?.[1] ?? '') : '[' });
    else if ((ch === ')' || ch === ']') && stack.length > 0) stack.pop();
  }
  return stack;
}

/** Just after the bracket that closes the one opened at `open` (the end of the text if none does). */
function afterClose(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return text.length;
}

/** Where a snippet with a `place` goes, given the cursor. */
function placeAt(text: string, at: number, place: 'top' | 'argument'): number {
  const stack = openBrackets(text, at);
  if (place === 'top') return stack.length === 0 ? at : afterClose(text, stack[0].open);
  let call = -1;
  stack.forEach((b, i) => {
    if (b.fn === 'min' || b.fn === 'max') call = i;
  });
  if (call < 0 || call === stack.length - 1) return at;
  return afterClose(text, stack[call + 1].open);
}

/** Inserts `snippet` in `text` over the selection [start, end), or wraps the selection for functions. */
export function insertSnippet(text: string, start: number, end: number, snippet: Snippet): Edit {
  let from = Math.max(0, Math.min(start, text.length));
  let to = Math.max(from, Math.min(end, text.length));
  if (snippet.wrap && to > from) {
    const { before, after, at = after.length } = snippet.wrap;
    const inserted = `${before}${text.slice(from, to)}${after}`;
    const caret = from + inserted.length - after.length + at;
    return { text: text.slice(0, from) + inserted + text.slice(to), selectionStart: caret, selectionEnd: caret };
  }
  if (snippet.place && from === to) from = to = placeAt(text, from, snippet.place);
  // No doubled blanks where an operator's own spaces meet the text's.
  let body = snippet.text;
  if (body.startsWith(' ') && /\s$/.test(text.slice(0, from))) body = body.trimStart();
  if (body.endsWith(' ') && /^\s/.test(text.slice(to))) body = body.trimEnd();
  const caret = from + Math.min(body.length, snippet.cursor ?? body.length);
  return { text: text.slice(0, from) + body + text.slice(to), selectionStart: caret, selectionEnd: caret };
}

/** `(PR | [M,F])` (or the bare measure without attributes). */
export function conditional(measure: string, attributes: readonly string[]): Snippet {
  return { text: attributes.length === 0 ? measure : `(${measure} | [${attributes.join(',')}])` };
}

/**
 * `min()` with the cursor inside: the first argument goes there, then `,` and the second (the comma lands
 * in this call whatever bracket the cursor is in). With a selection, the selection is the first argument.
 */
export function fn(name: 'min' | 'max' | 'abs' | 'exp' | 'log'): Snippet {
  const binary = name === 'min' || name === 'max';
  return { text: `${name}()`, cursor: name.length + 1, wrap: binary ? { before: `${name}(`, after: ')', at: 0 } : { before: `${name}(`, after: ')' } };
}

export const OPERATORS: readonly { label: string; name: string; snippet: Snippet }[] = [
  { label: '+', name: 'plus', snippet: { text: ' + ' } },
  { label: '−', name: 'minus', snippet: { text: ' - ' } },
  { label: '×', name: 'times', snippet: { text: ' * ' } },
  { label: '÷', name: 'divided by', snippet: { text: ' / ' } },
  { label: '(', name: 'open bracket', snippet: { text: '(' } },
  { label: ')', name: 'close bracket', snippet: { text: ')' } },
  { label: ',', name: 'comma', snippet: { text: ', ', place: 'argument' } },
  { label: '≤', name: 'at most', snippet: { text: ' <= ', place: 'top' } },
  { label: '≥', name: 'at least', snippet: { text: ' >= ', place: 'top' } },
];

export interface Preset {
  readonly id: string;
  readonly label: string;
  /** What it asks of the model, in a sentence. */
  readonly description: string;
  readonly build: (a: string, b: string) => string;
}

const ratio = (m: string, a: string, b: string): string => `min((${m} | [${a}])/(${m} | [${b}]),(${m} | [${b}])/(${m} | [${a}]))`;

/** Tutorial J's constraint for two groups: their accuracies within a ratio of 0.8. */
export const accuracyRatio = (a: string, b: string): string => `${ratio('ACC', a, b)} >= 0.8`;

export const PRESETS: readonly Preset[] = [
  { id: 'disparate-impact', label: 'Disparate impact', description: 'positive rates of the two groups within a ratio of 0.8', build: (a, b) => `${ratio('PR', a, b)} >= 0.8` },
  { id: 'demographic-parity', label: 'Demographic parity', description: 'positive rates differ by at most 0.15', build: (a, b) => `abs((PR | [${a}]) - (PR | [${b}])) <= 0.15` },
  {
    id: 'equalized-odds',
    label: 'Equalized odds',
    description: 'false negative and false positive rates differ by at most 0.35 together',
    build: (a, b) => `abs((FNR | [${a}]) - (FNR | [${b}])) + abs((FPR | [${a}]) - (FPR | [${b}])) <= 0.35`,
  },
  { id: 'equal-opportunity', label: 'Equal opportunity', description: 'false negative rates differ by at most 0.2', build: (a, b) => `abs((FNR | [${a}]) - (FNR | [${b}])) <= 0.2` },
  { id: 'predictive-equality', label: 'Predictive equality', description: 'false positive rates differ by at most 0.2', build: (a, b) => `abs((FPR | [${a}]) - (FPR | [${b}])) <= 0.2` },
  { id: 'accuracy-ratio', label: 'Accuracy ratio', description: 'accuracies within a ratio of 0.8 (Tutorial J)', build: accuracyRatio },
];
