/**
 * The constraint language's syntax tree and compiled form.
 * Every node carries the 1-based column span of the text the user typed, so later stages
 * (bounding, the UI) can point at the source.
 */

export type SubRegime = 'classification' | 'multiclass_classification';

/** Measure functions of the supervised classification regimes. */
export type MeasureName = 'PR' | 'NR' | 'FPR' | 'TPR' | 'FNR' | 'TNR' | 'ACC' | 'CM';

export type BinaryOperator = 'add' | 'sub' | 'mult' | 'div' | 'pow' | 'min' | 'max';
export type UnaryOperator = 'abs' | 'exp' | 'log';

/** 1-based, inclusive start column and exclusive end column in the user's original string. */
export interface SourceSpan {
  readonly start: number;
  readonly end: number;
}

export interface ConstantNode {
  readonly type: 'constant';
  readonly value: number;
  readonly span: SourceSpan;
}

export interface BaseNodeRef {
  readonly type: 'base';
  /** Index into CompiledConstraint.baseNodes (unique nodes by canonical name). */
  readonly index: number;
  readonly span: SourceSpan;
}

export interface BinaryNode {
  readonly type: 'binary';
  readonly op: BinaryOperator;
  readonly left: ExprNode;
  readonly right: ExprNode;
  readonly span: SourceSpan;
}

export interface UnaryNode {
  readonly type: 'unary';
  readonly op: UnaryOperator;
  readonly arg: ExprNode;
  readonly span: SourceSpan;
}

export type ExprNode = ConstantNode | BaseNodeRef | BinaryNode | UnaryNode;

/** A unique base node (first-occurrence order) with the bounds it needs, its δ shares and inflation factors. */
export interface BaseNodeSpec {
  /** Canonical name, e.g. `ACC`, `PR | [M,F]`, `FPR_[0] | [M]`, `CM_[0,1]`. */
  readonly name: string;
  readonly measure: MeasureName;
  /** `[k]` for PR_[k]…TNR_[k], `[i, j]` for CM_[i,j], empty when unsubscripted. */
  readonly classIndex: readonly number[];
  /** Sensitive columns whose rows all equal 1 (logical AND); empty = whole dataset. */
  readonly conditionalColumns: readonly string[];
  readonly lowerNeeded: boolean;
  readonly upperNeeded: boolean;
  /** null where that side is not needed. */
  readonly deltaLower: number | null;
  readonly deltaUpper: number | null;
  readonly inflationLower: number | null;
  readonly inflationUpper: number | null;
}

export interface CompiledConstraint {
  /** What the user typed. */
  readonly source: string;
  /** The engine's normalised g string, e.g. `0.8-(min((ACC | [M])/(ACC | [F]),(ACC | [F])/(ACC | [M])))`. */
  readonly parsed: string;
  readonly delta: number;
  readonly root: ExprNode;
  readonly baseNodes: readonly BaseNodeSpec[];
  /** Non-fatal notes, e.g. `**` is experimental. */
  readonly warnings: readonly string[];
}

export interface ConstraintError {
  /** Human message that names the problem and the column, e.g. "unknown attribute 'X' at column 14 (known: M, F)". */
  readonly message: string;
  /** 1-based column in the user's original string. */
  readonly column: number;
  /** Number of characters to underline (≥ 1). */
  readonly length: number;
  readonly source: string;
  /** Machine-readable kind, for the UI and tests. */
  readonly code: ConstraintErrorCode;
}

export type ConstraintErrorCode =
  | 'empty'
  | 'unexpected_character'
  | 'unexpected_token'
  | 'unexpected_end'
  | 'unbalanced_brackets'
  | 'unsupported_operator'
  | 'inequality'
  | 'unknown_measure'
  | 'unknown_attribute'
  | 'unknown_function'
  | 'argument_count'
  | 'measure_called'
  | 'bad_subscript'
  | 'bad_conditional'
  | 'bad_delta';

export type CompileResult =
  | { readonly ok: true; readonly constraint: CompiledConstraint }
  | { readonly ok: false; readonly error: ConstraintError };

export interface CompileOptions {
  /** The dataset's sensitive column names, in order. */
  readonly columns: readonly string[];
  readonly subRegime: SubRegime;
  /** Confidence parameter δ in (0, 1). */
  readonly delta: number;
  /** Number of classes, when known (multiclass): subscripts must be < nClasses. */
  readonly nClasses?: number;
  /** Inflation factor for candidate-selection bounds (default 2). */
  readonly inflationFactor?: number;
}
