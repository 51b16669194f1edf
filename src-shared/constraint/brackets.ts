import { fail } from './errors';
import type { Punct, PunctToken, Token } from './lexer';

/** Every bracket must close on the side of the inequality where it opened. */
export function checkBrackets(source: string, tokens: readonly Token[], where: string): void {
  const open: PunctToken[] = [];
  const closerOf: Readonly<Record<Punct, Punct | null>> = { '(': ')', '[': ']', ')': null, ']': null, ',': null };
  for (const token of tokens) {
    if (token.kind !== 'punct') continue;
    if (token.text === '(' || token.text === '[') {
      open.push(token);
      continue;
    }
    if (token.text !== ')' && token.text !== ']') continue;
    const opener = open.pop();
    if (opener === undefined) {
      fail(source, 'unbalanced_brackets', token.span, (at) => `unmatched '${token.text}' ${at}${where}`);
    }
    if (closerOf[opener.text] !== token.text) {
      fail(source, 'unbalanced_brackets', token.span, (at) =>
        `'${token.text}' ${at} does not match '${opener.text}' at column ${opener.span.start}`,
      );
    }
  }
  const unclosed = open.pop();
  if (unclosed !== undefined) {
    fail(source, 'unbalanced_brackets', unclosed.span, (at) => `'${unclosed.text}' ${at} is never closed${where}`);
  }
}
