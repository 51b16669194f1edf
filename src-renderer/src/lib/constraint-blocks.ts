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
  /** For functions: wrap the selection as the argument (`abs(` + selection + `)`). */
  readonly wrap?: { readonly before: string; readonly after: string };
}

export interface Edit {
  readonly text: string;
  readonly selectionStart: number;
  readonly selectionEnd: number;
}

/** Inserts `snippet` in `text` over the selection [start, end), or wraps the selection for functions. */
export function insertSnippet(text: string, start: number, end: number, snippet: Snippet): Edit {
  const from = Math.max(0, Math.min(start, text.length));
  const to = Math.max(from, Math.min(end, text.length));
  if (snippet.wrap && to > from) {
    const inserted = `${snippet.wrap.before}${text.slice(from, to)}${snippet.wrap.after}`;
    const caret = from + inserted.length;
    return { text: text.slice(0, from) + inserted + text.slice(to), selectionStart: caret, selectionEnd: caret };
  }
  const caret = from + (snippet.cursor ?? snippet.text.length);
  return { text: text.slice(0, from) + snippet.text + text.slice(to), selectionStart: caret, selectionEnd: caret };
}

/** `(PR | [M,F])` (or the bare measure without attributes). */
export function conditional(measure: string, attributes: readonly string[]): Snippet {
  return { text: attributes.length === 0 ? measure : `(${measure} | [${attributes.join(',')}])` };
}

export function fn(name: 'min' | 'max' | 'abs' | 'exp' | 'log'): Snippet {
  const binary = name === 'min' || name === 'max';
  return binary
    ? { text: `${name}(, )`, cursor: name.length + 1, wrap: { before: `${name}(`, after: ', )' } }
    : { text: `${name}()`, cursor: name.length + 1, wrap: { before: `${name}(`, after: ')' } };
}

export const OPERATORS: readonly { label: string; name: string; snippet: Snippet }[] = [
  { label: '+', name: 'plus', snippet: { text: ' + ' } },
  { label: '−', name: 'minus', snippet: { text: ' - ' } },
  { label: '×', name: 'times', snippet: { text: ' * ' } },
  { label: '÷', name: 'divided by', snippet: { text: ' / ' } },
  { label: '(', name: 'open bracket', snippet: { text: '(' } },
  { label: ')', name: 'close bracket', snippet: { text: ')' } },
  { label: ',', name: 'comma', snippet: { text: ', ' } },
  { label: '≤', name: 'at most', snippet: { text: ' <= ' } },
  { label: '≥', name: 'at least', snippet: { text: ' >= ' } },
];

export interface Preset {
  readonly id: string;
  readonly label: string;
  /** What it asks of the model, in a sentence. */
  readonly description: string;
  readonly build: (a: string, b: string) => string;
}

const ratio = (m: string, a: string, b: string): string => `min((${m} | [${a}])/(${m} | [${b}]),(${m} | [${b}])/(${m} | [${a}]))`;

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
  { id: 'accuracy-ratio', label: 'Accuracy ratio', description: 'accuracies within a ratio of 0.8 (Tutorial J)', build: (a, b) => `${ratio('ACC', a, b)} >= 0.8` },
];
