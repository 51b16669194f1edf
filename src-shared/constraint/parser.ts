/**
 * Two stages: a Pratt parser turns tokens into a Python-shaped syntax tree, then `lowerSyntax` checks it
 * against the regime (measures, attributes, functions) and builds the engine's tree.
 * Keeping them apart lets the parser stay a plain expression parser while every "this is valid Python
 * but meaningless here" rule lives in one place.
 */
export { checkBrackets } from './brackets';
export { lowerSyntax, POW_WARNING } from './lower';
export type { BaseDraft, Lowered } from './lower';
export { parseTokens } from './pratt-parser';
export type { InfixSymbol, Syntax } from './syntax';
