/** The parser's Python-shaped syntax tree, before the regime's rules turn it into the engine's tree. */
import type { SourceSpan } from './ast';

export type InfixSymbol = '+' | '-' | '*' | '/' | '**' | '|';

export type Syntax =
  | { readonly kind: 'number'; readonly value: number; readonly isInteger: boolean; readonly span: SourceSpan }
  | { readonly kind: 'name'; readonly name: string; readonly span: SourceSpan }
  | { readonly kind: 'list'; readonly items: readonly Syntax[]; readonly span: SourceSpan }
  | { readonly kind: 'tuple'; readonly items: readonly Syntax[]; readonly comma: SourceSpan; readonly span: SourceSpan }
  | {
      readonly kind: 'subscript';
      readonly target: Syntax;
      readonly indices: readonly Syntax[];
      readonly open: SourceSpan;
      readonly span: SourceSpan;
    }
  | { readonly kind: 'call'; readonly callee: Syntax; readonly args: readonly Syntax[]; readonly span: SourceSpan }
  | { readonly kind: 'negate'; readonly operand: Syntax; readonly sign: SourceSpan; readonly span: SourceSpan }
  | {
      readonly kind: 'binary';
      readonly op: InfixSymbol;
      readonly left: Syntax;
      readonly right: Syntax;
      readonly opSpan: SourceSpan;
      readonly span: SourceSpan;
    };

/** The smallest span covering all of `spans`. */
export function joinSpans(...spans: readonly SourceSpan[]): SourceSpan {
  return {
    start: Math.min(...spans.map((s) => s.start)),
    end: Math.max(...spans.map((s) => s.end)),
  };
}
