/* eslint-disable @typescript-eslint/ban-ts-comment */
// @ts-nocheck -- AssemblyScript, compiled by asc (`npm run build:wasm`), never by tsc: f64, v128, usize,
// load/store and the SIMD builtins are asc's. The root tsconfig includes src-main, hence the pragma.

// The linear kernel of the QSA's models in WebAssembly SIMD (see ../simd-linear-kernel.ts for the JS side).
// Everything lives in a shared memory that the JS side lays out; this module keeps no state of its own,
// so the calling thread and every worker instantiate it on the same memory and share each call's rows
// through an atomic counter (see forward and backward at the end).
//
// Layout, all set up by the JS side:
// - features: f32, row-major, row stride `dp` floats where dp is nFeatures rounded up to a multiple of 8,
//   the padding zero-filled so the loops need no scalar tail;
// - thetaT: f64, θ's feature rows transposed: column c of θ at thetaT + c·dp·8, padding zero;
// - bias: f64, θ's row 0 (the K biases);
// - gradient slots, one a chunk of a backward call, each zeroed by the thread that does the chunk: K
//   transposed columns of dp f64 (like thetaT), the K bias sums, then K f64 of scratch;
// - labels (f64 by row) and loss sums (f64 a chunk) for the fused logistic loss.
// Sums are f64 (pairs of f32 promoted to f64x2), like the JS kernel, in a different order: results agree
// to rounding, not bit for bit.

/** The first byte the JS side may use: the module keeps no data in memory, but asc decides where that begins. */
export function heapBase(): usize {
  return __heap_base;
}

/** One dot product x·θc over a padded row, four f64x2 accumulators to hide the add latency. */
function dot1(xr: usize, t: usize, dp: i32): f64 {
  let a0 = f64x2.splat(0);
  let a1 = a0;
  let a2 = a0;
  let a3 = a0;
  const end = xr + (<usize>dp << 2);
  for (let p = xr, q = t; p < end; p += 32, q += 64) {
    // Two floats per 64-bit load, promoted to f64x2: no shuffle for the upper half of an f32x4.
    a0 = f64x2.add(a0, f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(p)), v128.load(q)));
    a1 = f64x2.add(a1, f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(p, 8)), v128.load(q, 16)));
    a2 = f64x2.add(a2, f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(p, 16)), v128.load(q, 32)));
    a3 = f64x2.add(a3, f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(p, 24)), v128.load(q, 48)));
  }
  const s = f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3));
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

/**
 * Two dot products x·θc and x·θc+1 sharing the row's loads and promotions (the K = 2 head's case),
 * returned as the lanes of one f64x2.
 */
function dot2(xr: usize, t0: usize, t1: usize, dp: i32): v128 {
  // Four features an iteration and two accumulators a column: 8 accumulators would not fit V8's 15
  // allocatable xmm registers next to the promoted row.
  let a0 = f64x2.splat(0);
  let a1 = a0;
  let c0 = a0;
  let c1 = a0;
  const end = xr + (<usize>dp << 2);
  for (let p = xr, q = t0, r = t1; p < end; p += 16, q += 32, r += 32) {
    const x0 = f64x2.promote_low_f32x4(v128.load64_zero(p));
    const x1 = f64x2.promote_low_f32x4(v128.load64_zero(p, 8));
    a0 = f64x2.add(a0, f64x2.mul(x0, v128.load(q)));
    c0 = f64x2.add(c0, f64x2.mul(x0, v128.load(r)));
    a1 = f64x2.add(a1, f64x2.mul(x1, v128.load(q, 16)));
    c1 = f64x2.add(c1, f64x2.mul(x1, v128.load(r, 16)));
  }
  const s = f64x2.add(a0, a1);
  const u = f64x2.add(c0, c1);
  // [s0 + s1, u0 + u1]: the pairwise sums of each accumulator's lanes.
  return f64x2.add(f64x2.shuffle(s, u, 0, 2), f64x2.shuffle(s, u, 1, 3));
}

/** The logistic function as the JS models write it; Math.exp is fdlibm's (asconfig shrinkLevel ≥ 1), like V8's. */
function sigmoid(z: f64): f64 {
  return 1 / (1 + Math.exp(-z));
}

/**
 * For rows [rowStart, rowEnd), from `out` on:
 * - squash = 0: logits[(row − rowStart)·K + c] = bias[c] + Σ_j x[row, j]·θ[j+1, c];
 * - squash = 1 (K = 1 only): probs[row − rowStart] = σ(logit), so the exps run on every thread with the
 *   dot products (the JS side reduces the two-class softmax head to this, see forwardSigmoid there).
 */
function forwardRows(x: usize, dp: i32, k: i32, thetaT: usize, bias: usize, rowStart: i32, rowEnd: i32, out: usize, squash: i32): void {
  const rowBytes = <usize>dp << 2;
  const colBytes = <usize>dp << 3;
  let o = out;
  if (squash != 0) {
    const b0 = load<f64>(bias);
    for (let row = rowStart; row < rowEnd; row++, o += 8) store<f64>(o, sigmoid(b0 + dot1(x + <usize>row * rowBytes, thetaT, dp)));
    return;
  }
  for (let row = rowStart; row < rowEnd; row++, o += <usize>k << 3) {
    const xr = x + <usize>row * rowBytes;
    let c = 0;
    for (; c + 1 < k; c += 2) {
      const t = thetaT + <usize>c * colBytes;
      const b = bias + (<usize>c << 3);
      const z = dot2(xr, t, t + colBytes, dp);
      store<f64>(o + (<usize>c << 3), load<f64>(b) + f64x2.extract_lane(z, 0));
      store<f64>(o + (<usize>c << 3), load<f64>(b, 8) + f64x2.extract_lane(z, 1), 8);
    }
    if (c < k) {
      store<f64>(o + (<usize>c << 3), load<f64>(bias + (<usize>c << 3)) + dot1(xr, thetaT + <usize>c * colBytes, dp));
    }
  }
}

/** The logistic loss's stability constant, as objectives.ts adds it (STABILITY there). */
const STABILITY: f64 = 1e-15;

/**
 * The fused forward of the binary models with the binary logistic loss, for rows [rowStart, rowEnd):
 * probs[i] = p = σ(logit), dProbs[i] = d(mean loss)/dp = (−y/(p + ε) + (1 − y)/(1 − p + ε)) / n, and
 * returns Σ_i −y·log(p + ε) − (1 − y)·log(1 − p + ε) over the rows, summed in row order. For y = 0 or 1
 * one of each pair of terms is an exact zero, so only the other is computed (one log a row, not two);
 * the result is the same double. `labels` is indexed by absolute row.
 */
function forwardLossRows(
  x: usize, dp: i32, thetaT: usize, bias: usize, rowStart: i32, rowEnd: i32, out: usize, labels: usize, dOut: usize, n: f64,
): f64 {
  const rowBytes = <usize>dp << 2;
  const b0 = load<f64>(bias);
  let sum: f64 = 0;
  let o = out;
  let d = dOut;
  for (let row = rowStart; row < rowEnd; row++, o += 8, d += 8) {
    const p = sigmoid(b0 + dot1(x + <usize>row * rowBytes, thetaT, dp));
    const y = load<f64>(labels + (<usize>row << 3));
    store<f64>(o, p);
    if (y == 1) {
      sum += -Math.log(p + STABILITY);
      store<f64>(d, -1 / (p + STABILITY) / n);
    } else if (y == 0) {
      sum += -Math.log(1 - p + STABILITY);
      store<f64>(d, 1 / (1 - p + STABILITY) / n);
    } else {
      sum += -y * Math.log(p + STABILITY) - (1 - y) * Math.log(1 - p + STABILITY);
      store<f64>(d, (-y / (p + STABILITY) + (1 - y) / (1 - p + STABILITY)) / n);
    }
  }
  return sum;
}

// Estimator slots (the fused QSA iteration of the binary models, see ../simd-linear-kernel.ts): slot e
// is one base node of one constraint, its per-sample estimator Z = a + b·p on the rows it keeps. Its table
// at est + e·3·rowsStride holds three f64 arrays by absolute row (rowsStride bytes each): a, b and keep
// (1 or 0).

/**
 * For each of the nSlots slots, over rows [rowStart, rowEnd) whose probabilities start at `probs`: the sum
 * of Z over kept rows and the sum of (Z − shift_e)², the shift being near the mean (the caller's last
 * one) so that the variance taken from these sums does not cancel. Stored at `sums` as (Σ, Σ²) pairs.
 */
function estimatorSums(probs: usize, rowStart: i32, rowEnd: i32, est: usize, rowsStride: usize, nSlots: i32, shifts: usize, sums: usize): void {
  for (let e = 0; e < nSlots; e++) {
    const a = est + <usize>e * 3 * rowsStride;
    const b = a + rowsStride;
    const keep = b + rowsStride;
    const shift = load<f64>(shifts + (<usize>e << 3));
    let sum: f64 = 0;
    let squares: f64 = 0;
    let o = probs;
    for (let row = rowStart; row < rowEnd; row++, o += 8) {
      const at = <usize>row << 3;
      if (load<f64>(keep + at) == 0) continue;
      const z = load<f64>(a + at) + load<f64>(b + at) * load<f64>(o);
      sum += z;
      const c = z - shift;
      squares += c * c;
    }
    store<f64>(sums + (<usize>e << 4), sum);
    store<f64>(sums + (<usize>e << 4), squares, 8);
  }
}

/**
 * The fused backward's dz for rows [rowStart, rowEnd), in place: dz holds d(loss)/dp on entry (the fused
 * forward put it there) and leaves as dP·p(1 − p), where dP adds each slot's
 * b·(α_e + β_e·Z) on kept rows, (α_e, β_e) pairs at `coef` (the chain rule through the slot's mean and
 * Bessel std, weighted by its constraint's λ, as the JS ConstraintBounder works it out).
 */
function fusedDz(probs: usize, dz: usize, rowStart: i32, rowEnd: i32, est: usize, rowsStride: usize, nSlots: i32, coef: usize): void {
  let o = probs;
  let d = dz;
  for (let row = rowStart; row < rowEnd; row++, o += 8, d += 8) {
    const p = load<f64>(o);
    const at = <usize>row << 3;
    let dp = load<f64>(d);
    for (let e = 0; e < nSlots; e++) {
      const a = est + <usize>e * 3 * rowsStride;
      if (load<f64>(a + 2 * rowsStride + at) == 0) continue;
      const slope = load<f64>(a + rowsStride + at);
      const z = load<f64>(a + at) + slope * p;
      dp += (load<f64>(coef + (<usize>e << 4)) + load<f64>(coef + (<usize>e << 4), 8) * z) * slope;
    }
    store<f64>(d, dp * p * (1 - p));
  }
}

/** g += s0·x0 + s1·x1 over a padded row pair: one gradient column, two rows per load/store of g. */
function axpy1(x0: usize, x1: usize, s0: f64, s1: f64, g: usize, dp: i32): void {
  const m0 = f64x2.splat(s0);
  const m1 = f64x2.splat(s1);
  const end = x0 + (<usize>dp << 2);
  for (let p = x0, r = x1, q = g; p < end; p += 16, r += 16, q += 32) {
    const lo = f64x2.add(
      f64x2.mul(m0, f64x2.promote_low_f32x4(v128.load64_zero(p))),
      f64x2.mul(m1, f64x2.promote_low_f32x4(v128.load64_zero(r))),
    );
    const hi = f64x2.add(
      f64x2.mul(m0, f64x2.promote_low_f32x4(v128.load64_zero(p, 8))),
      f64x2.mul(m1, f64x2.promote_low_f32x4(v128.load64_zero(r, 8))),
    );
    v128.store(q, f64x2.add(v128.load(q), lo));
    v128.store(q, f64x2.add(v128.load(q, 16), hi), 16);
  }
}

/** g += Σ_r s_r·x_r over four padded rows (row stride `rowBytes`): one gradient column, four rows per load/store of g. */
function axpy4(x0: usize, rowBytes: usize, s0: f64, s1: f64, s2: f64, s3: f64, g: usize, dp: i32): void {
  const m0 = f64x2.splat(s0);
  const m1 = f64x2.splat(s1);
  const m2 = f64x2.splat(s2);
  const m3 = f64x2.splat(s3);
  const x1 = x0 + rowBytes;
  const x2 = x1 + rowBytes;
  const x3 = x2 + rowBytes;
  const end = x0 + (<usize>dp << 2);
  // Four features an iteration (dp is a multiple of 8): two independent gradient pairs, half the loop
  // overhead of one pair.
  for (let p = x0, o: usize = 0, q = g; p < end; p += 16, o += 16, q += 32) {
    const a = f64x2.add(
      f64x2.mul(m0, f64x2.promote_low_f32x4(v128.load64_zero(p))),
      f64x2.mul(m1, f64x2.promote_low_f32x4(v128.load64_zero(x1 + o))),
    );
    const b = f64x2.add(
      f64x2.mul(m2, f64x2.promote_low_f32x4(v128.load64_zero(x2 + o))),
      f64x2.mul(m3, f64x2.promote_low_f32x4(v128.load64_zero(x3 + o))),
    );
    const c = f64x2.add(
      f64x2.mul(m0, f64x2.promote_low_f32x4(v128.load64_zero(p, 8))),
      f64x2.mul(m1, f64x2.promote_low_f32x4(v128.load64_zero(x1 + o, 8))),
    );
    const e = f64x2.add(
      f64x2.mul(m2, f64x2.promote_low_f32x4(v128.load64_zero(x2 + o, 8))),
      f64x2.mul(m3, f64x2.promote_low_f32x4(v128.load64_zero(x3 + o, 8))),
    );
    v128.store(q, f64x2.add(v128.load(q), f64x2.add(a, b)));
    v128.store(q, f64x2.add(v128.load(q, 16), f64x2.add(c, e)), 16);
  }
}

/** Two gradient columns at once for a row pair (s_rc = dz of row r, column c): promotions shared. */
function axpy2(x0: usize, x1: usize, s00: f64, s01: f64, s10: f64, s11: f64, g0: usize, g1: usize, dp: i32): void {
  const m00 = f64x2.splat(s00);
  const m01 = f64x2.splat(s01);
  const m10 = f64x2.splat(s10);
  const m11 = f64x2.splat(s11);
  const end = x0 + (<usize>dp << 2);
  // Two features an iteration: with four multipliers live, more would spill V8's xmm registers.
  for (let p = x0, r = x1, q = g0, u = g1; p < end; p += 8, r += 8, q += 16, u += 16) {
    const v = f64x2.promote_low_f32x4(v128.load64_zero(p));
    const w = f64x2.promote_low_f32x4(v128.load64_zero(r));
    v128.store(q, f64x2.add(v128.load(q), f64x2.add(f64x2.mul(m00, v), f64x2.mul(m10, w))));
    v128.store(u, f64x2.add(v128.load(u), f64x2.add(f64x2.mul(m01, v), f64x2.mul(m11, w))));
  }
}

/** Adds rows x0 (weights d0[c]) and x1 (weights d1[c]) into every gradient column and bias sum. */
function accumulatePair(x0: usize, x1: usize, d0: usize, d1: usize, k: i32, dp: i32, grad: usize): void {
  const colBytes = <usize>dp << 3;
  const biasSums = grad + <usize>k * colBytes;
  let c = 0;
  for (; c + 1 < k; c += 2) {
    const off = <usize>c << 3;
    const g = grad + <usize>c * colBytes;
    axpy2(x0, x1, load<f64>(d0 + off), load<f64>(d0 + off, 8), load<f64>(d1 + off), load<f64>(d1 + off, 8), g, g + colBytes, dp);
  }
  if (c < k) {
    const off = <usize>c << 3;
    axpy1(x0, x1, load<f64>(d0 + off), load<f64>(d1 + off), grad + <usize>c * colBytes, dp);
  }
  for (c = 0; c < k; c++) {
    const off = <usize>c << 3;
    store<f64>(biasSums + off, load<f64>(biasSums + off) + (load<f64>(d0 + off) + load<f64>(d1 + off)));
  }
}

function allZero(d: usize, n: i32): bool {
  for (let i = 0; i < n; i++) if (load<f64>(d + (<usize>i << 3)) != 0) return false;
  return true;
}

/**
 * Adds rows [rowStart, rowEnd) to a gradient slice: column c += Σ_i x[row_i]·dz[i, c], bias sum
 * c += Σ_i dz[i, c], dz read from `dz` on. Rows go in groups (four for K = 1, else pairs) so each
 * load/store of the gradient serves several rows; a group whose dz are all zero is skipped as the JS
 * kernel skips such rows.
 */
function backwardRows(x: usize, dp: i32, k: i32, dz: usize, rowStart: i32, rowEnd: i32, grad: usize): void {
  const rowBytes = <usize>dp << 2;
  const dzBytes = <usize>k << 3;
  let row = rowStart;
  let d = dz;
  if (k == 1) {
    // One column (the binary model): four rows per pass over the gradient, whose loads and stores
    // otherwise cost as much as the arithmetic.
    const biasSum = grad + (<usize>dp << 3);
    for (; row + 3 < rowEnd; row += 4, d += 32) {
      const s0 = load<f64>(d);
      const s1 = load<f64>(d, 8);
      const s2 = load<f64>(d, 16);
      const s3 = load<f64>(d, 24);
      if (s0 == 0 && s1 == 0 && s2 == 0 && s3 == 0) continue;
      axpy4(x + <usize>row * rowBytes, rowBytes, s0, s1, s2, s3, grad, dp);
      store<f64>(biasSum, load<f64>(biasSum) + ((s0 + s1) + (s2 + s3)));
    }
  }
  for (; row + 1 < rowEnd; row += 2, d += dzBytes << 1) {
    if (allZero(d, k << 1)) continue;
    const x0 = x + <usize>row * rowBytes;
    accumulatePair(x0, x0 + rowBytes, d, d + dzBytes, k, dp, grad);
  }
  if (row < rowEnd && !allZero(d, k)) {
    // The odd last row pairs with itself at weight zero: one more pass over the row, no separate loop.
    const x0 = x + <usize>row * rowBytes;
    const zeros = grad + ((<usize>k * <usize>dp + <usize>k) << 3);
    memory.fill(zeros, 0, dzBytes);
    accumulatePair(x0, x0, d, zeros, k, dp, grad);
  }
}

// The calls: every thread (the caller and each worker) runs the same export on the same arguments,
// claiming chunks of `chunk` rows of the range from the shared counter (claim) until none are left, and
// counting each chunk it finishes in the i32 after the counter. A thread that starts late or runs slow
// simply claims fewer chunks. Every sum a chunk makes goes to that chunk's own slot, never to a
// per-thread one, and the caller adds the slots up in chunk order: which thread did which chunk never
// changes a result, so runs are deterministic and independent of timing and of the thread count.

/**
 * The next chunk of job `seq`, or −1 when it has none left or is no longer the current job. The counter
 * is an i64: the next chunk in the low word, the current job's sequence number in the high word (the
 * caller writes both at once when it publishes a job). The compare-and-swap checks the sequence number,
 * so a thread that read an earlier job's parameters can never take a chunk of a later job.
 */
function claim(counter: usize, seq: i32, chunks: i32): i32 {
  while (true) {
    const c = atomic.load<i64>(counter);
    if (<i32>(c >> 32) != seq) return -1;
    const index = <i32>c;
    if (index >= chunks) return -1;
    if (atomic.cmpxchg<i64>(counter, c, c + 1) == c) return index;
  }
}

/**
 * Forward over rows [rangeStart, rangeEnd): out holds the whole range, `width` f64 a row (K, or 1
 * squashed). squash = 2 (K = 1 only) is the fused logistic loss (forwardLossRows): dOut holds the
 * range's dProbs, labels the labels by absolute row, and chunk c's loss sum goes to sums[c]. With
 * nSlots > 0 it also sums the estimator slots (estimatorSums) into estSums, 2·nSlots f64 a chunk.
 * Returns the rows this thread did.
 */
export function forward(
  x: usize, dp: i32, k: i32, thetaT: usize, bias: usize, rangeStart: i32, rangeEnd: i32, out: usize, squash: i32, counter: usize, chunk: i32,
  labels: usize, dOut: usize, sums: usize, est: usize, rowsStride: usize, nSlots: i32, shifts: usize, estSums: usize, seq: i32,
): i32 {
  const width = squash != 0 ? 1 : k;
  const n = rangeEnd - rangeStart;
  const chunks = (n + chunk - 1) / chunk;
  let done = 0;
  for (let c = claim(counter, seq, chunks); c >= 0; c = claim(counter, seq, chunks)) {
    const s = c * chunk;
    const e = min(s + chunk, n);
    const o = out + ((<usize>s * <usize>width) << 3);
    if (squash == 2) {
      const sum = forwardLossRows(x, dp, thetaT, bias, rangeStart + s, rangeStart + e, o, labels, dOut + (<usize>s << 3), <f64>n);
      store<f64>(sums + (<usize>c << 3), sum);
      if (nSlots > 0) estimatorSums(o, rangeStart + s, rangeStart + e, est, rowsStride, nSlots, shifts, estSums + ((<usize>c * <usize>nSlots) << 4));
    } else {
      forwardRows(x, dp, k, thetaT, bias, rangeStart + s, rangeStart + e, o, squash);
    }
    done += e - s;
    atomic.add<i32>(counter + 8, 1);
  }
  return done;
}

/**
 * Backward over rows [rangeStart, rangeEnd): dz holds the whole range; chunk c adds into the gradient
 * slot at grad + c·stride, which it zeroes first. fused = 1 (K = 1 only): dz holds d(loss)/dp and each
 * chunk first turns its rows into dz (fusedDz, probabilities at `probs`). Returns the rows this thread did.
 */
export function backward(
  x: usize, dp: i32, k: i32, dz: usize, rangeStart: i32, rangeEnd: i32, grad: usize, counter: usize, chunk: i32, stride: i32,
  fused: i32, probs: usize, est: usize, rowsStride: usize, nSlots: i32, coef: usize, seq: i32,
): i32 {
  const n = rangeEnd - rangeStart;
  const chunks = (n + chunk - 1) / chunk;
  let done = 0;
  for (let c = claim(counter, seq, chunks); c >= 0; c = claim(counter, seq, chunks)) {
    const s = c * chunk;
    const e = min(s + chunk, n);
    const slot = grad + <usize>c * <usize>stride;
    memory.fill(slot, 0, <usize>stride);
    if (fused != 0) fusedDz(probs + (<usize>s << 3), dz + (<usize>s << 3), rangeStart + s, rangeStart + e, est, rowsStride, nSlots, coef);
    backwardRows(x, dp, k, dz + ((<usize>s * <usize>k) << 3), rangeStart + s, rangeStart + e, slot);
    done += e - s;
    atomic.add<i32>(counter + 8, 1);
  }
  return done;
}

/**
 * out = slot 0 + slot 1 + … + slot count−1, f64 by f64 in slot order (so the sum is the same whatever
 * thread filled which slot), over `width` f64 of each slot (rounded up to a pair: the slots are padded).
 * The calling thread adds up the backward chunks' gradient slots with it.
 */
export function reduceSlots(grad: usize, stride: usize, count: i32, width: i32, out: usize): void {
  const bytes = <usize>((width + 1) & ~1) << 3;
  memory.copy(out, grad, bytes);
  for (let t = 1; t < count; t++) {
    const slot = grad + <usize>t * stride;
    for (let q: usize = 0; q < bytes; q += 16) v128.store(out + q, f64x2.add(v128.load(out + q), v128.load(slot + q)));
  }
}
