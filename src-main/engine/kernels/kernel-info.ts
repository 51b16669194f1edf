/**
 * The kernel choice's vocabulary, without the kernels: experiment results and the renderer's plot code
 * name it without pulling in Node. The names a result stores are in src-shared/domain/qsa.ts.
 */
export type { QsaKernelInfo, QsaKernelName } from '../../../src-shared/domain/qsa';

export interface QsaKernelOptions {
  /**
   * Threads of a SIMD kernel, the calling one included (default: every core). Callers that run several
   * QSAs at once (an experiment's trial workers) pass their share, kernelThreadsFor(parallel), so that
   * QSAs × threads stay within the cores. Results do not depend on it.
   */
  readonly threads?: number;
  /** `js` forces the JS kernel (benches and tests comparing the two); `auto` (default) is the rule below. */
  readonly kernel?: 'auto' | 'js';
}
