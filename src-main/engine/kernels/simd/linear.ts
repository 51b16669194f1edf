/* eslint-disable @typescript-eslint/ban-ts-comment */
// @ts-nocheck -- AssemblyScript, compiled by asc (`npm run build:wasm`), never by tsc: f64, v128, usize,
// load/store and the SIMD builtins are asc's. The root tsconfig includes src-main, hence the pragma.

// The linear kernel of the QSA's models in WebAssembly SIMD (see ../simd-linear-kernel.ts for the JS side).
// Everything lives in a shared memory that the JS side lays out; this module keeps no state of its own,
// so the calling thread and every worker instantiate it on the same memory and each call works on the
// rows it is given.
//
// Layout, all set up by the JS side:
// - features: f32, row-major, row stride `dp` floats where dp is nFeatures rounded up to a multiple of 8,
//   the padding zero-filled so the loops need no scalar tail;
// - thetaT: f64, θ's feature rows transposed: column c of θ at thetaT + c·dp·8, padding zero;
// - bias: f64, θ's row 0 (the K biases);
// - gradient slices: K transposed columns of dp f64 (like thetaT), then the K bias sums.
// Sums are f64 (f32x4 loads promoted to two f64x2), like the JS kernel, in a different order: results
// agree to rounding, not bit for bit.

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
    const v0 = v128.load(p);
    const v1 = v128.load(p, 16);
    a0 = f64x2.add(a0, f64x2.mul(f64x2.promote_low_f32x4(v0), v128.load(q)));
    a1 = f64x2.add(a1, f64x2.mul(f64x2.promote_low_f32x4(f32x4.shuffle(v0, v0, 2, 3, 2, 3)), v128.load(q, 16)));
    a2 = f64x2.add(a2, f64x2.mul(f64x2.promote_low_f32x4(v1), v128.load(q, 32)));
    a3 = f64x2.add(a3, f64x2.mul(f64x2.promote_low_f32x4(f32x4.shuffle(v1, v1, 2, 3, 2, 3)), v128.load(q, 48)));
  }
  const s = f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3));
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

/** Two dot products x·θc and x·θc+1 sharing the row's loads and promotions (the K = 2 head's case). */
function dot2(xr: usize, t0: usize, t1: usize, dp: i32, out: usize, b0: f64, b1: f64): void {
  let a0 = f64x2.splat(0);
  let a1 = a0;
  let a2 = a0;
  let a3 = a0;
  let c0 = a0;
  let c1 = a0;
  let c2 = a0;
  let c3 = a0;
  const end = xr + (<usize>dp << 2);
  for (let p = xr, q = t0, r = t1; p < end; p += 32, q += 64, r += 64) {
    const v0 = v128.load(p);
    const v1 = v128.load(p, 16);
    const x0 = f64x2.promote_low_f32x4(v0);
    const x1 = f64x2.promote_low_f32x4(f32x4.shuffle(v0, v0, 2, 3, 2, 3));
    const x2 = f64x2.promote_low_f32x4(v1);
    const x3 = f64x2.promote_low_f32x4(f32x4.shuffle(v1, v1, 2, 3, 2, 3));
    a0 = f64x2.add(a0, f64x2.mul(x0, v128.load(q)));
    c0 = f64x2.add(c0, f64x2.mul(x0, v128.load(r)));
    a1 = f64x2.add(a1, f64x2.mul(x1, v128.load(q, 16)));
    c1 = f64x2.add(c1, f64x2.mul(x1, v128.load(r, 16)));
    a2 = f64x2.add(a2, f64x2.mul(x2, v128.load(q, 32)));
    c2 = f64x2.add(c2, f64x2.mul(x2, v128.load(r, 32)));
    a3 = f64x2.add(a3, f64x2.mul(x3, v128.load(q, 48)));
    c3 = f64x2.add(c3, f64x2.mul(x3, v128.load(r, 48)));
  }
  const s = f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3));
  const u = f64x2.add(f64x2.add(c0, c1), f64x2.add(c2, c3));
  store<f64>(out, b0 + (f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1)));
  store<f64>(out, b1 + (f64x2.extract_lane(u, 0) + f64x2.extract_lane(u, 1)), 8);
}

/**
 * logits[(row − rowStart)·K + c] = bias[c] + Σ_j x[row, j]·θ[j+1, c] for rows [rowStart, rowEnd),
 * written from `out` on (the JS side offsets it to this slice of the call's range).
 */
export function forward(x: usize, dp: i32, k: i32, thetaT: usize, bias: usize, rowStart: i32, rowEnd: i32, out: usize): void {
  const rowBytes = <usize>dp << 2;
  const colBytes = <usize>dp << 3;
  let o = out;
  for (let row = rowStart; row < rowEnd; row++, o += <usize>k << 3) {
    const xr = x + <usize>row * rowBytes;
    let c = 0;
    for (; c + 1 < k; c += 2) {
      const t = thetaT + <usize>c * colBytes;
      const b = bias + (<usize>c << 3);
      dot2(xr, t, t + colBytes, dp, o + (<usize>c << 3), load<f64>(b), load<f64>(b, 8));
    }
    if (c < k) {
      store<f64>(o + (<usize>c << 3), load<f64>(bias + (<usize>c << 3)) + dot1(xr, thetaT + <usize>c * colBytes, dp));
    }
  }
}

/** g += s0·x0 + s1·x1 over a padded row pair: one gradient column, two rows per load/store of g. */
function axpy1(x0: usize, x1: usize, s0: f64, s1: f64, g: usize, dp: i32): void {
  const m0 = f64x2.splat(s0);
  const m1 = f64x2.splat(s1);
  const end = x0 + (<usize>dp << 2);
  for (let p = x0, r = x1, q = g; p < end; p += 16, r += 16, q += 32) {
    const v = v128.load(p);
    const w = v128.load(r);
    const lo = f64x2.add(f64x2.mul(m0, f64x2.promote_low_f32x4(v)), f64x2.mul(m1, f64x2.promote_low_f32x4(w)));
    const hi = f64x2.add(
      f64x2.mul(m0, f64x2.promote_low_f32x4(f32x4.shuffle(v, v, 2, 3, 2, 3))),
      f64x2.mul(m1, f64x2.promote_low_f32x4(f32x4.shuffle(w, w, 2, 3, 2, 3))),
    );
    v128.store(q, f64x2.add(v128.load(q), lo));
    v128.store(q, f64x2.add(v128.load(q, 16), hi), 16);
  }
}

/** Two gradient columns at once for a row pair (s_rc = dz of row r, column c): promotions shared. */
function axpy2(x0: usize, x1: usize, s00: f64, s01: f64, s10: f64, s11: f64, g0: usize, g1: usize, dp: i32): void {
  const m00 = f64x2.splat(s00);
  const m01 = f64x2.splat(s01);
  const m10 = f64x2.splat(s10);
  const m11 = f64x2.splat(s11);
  const end = x0 + (<usize>dp << 2);
  for (let p = x0, r = x1, q = g0, u = g1; p < end; p += 16, r += 16, q += 32, u += 32) {
    const v = v128.load(p);
    const w = v128.load(r);
    const vl = f64x2.promote_low_f32x4(v);
    const vh = f64x2.promote_low_f32x4(f32x4.shuffle(v, v, 2, 3, 2, 3));
    const wl = f64x2.promote_low_f32x4(w);
    const wh = f64x2.promote_low_f32x4(f32x4.shuffle(w, w, 2, 3, 2, 3));
    v128.store(q, f64x2.add(v128.load(q), f64x2.add(f64x2.mul(m00, vl), f64x2.mul(m10, wl))));
    v128.store(q, f64x2.add(v128.load(q, 16), f64x2.add(f64x2.mul(m00, vh), f64x2.mul(m10, wh))), 16);
    v128.store(u, f64x2.add(v128.load(u), f64x2.add(f64x2.mul(m01, vl), f64x2.mul(m11, wl))));
    v128.store(u, f64x2.add(v128.load(u, 16), f64x2.add(f64x2.mul(m01, vh), f64x2.mul(m11, wh))), 16);
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
 * This slice's gradient, from zero: column c += Σ_i x[row_i]·dz[i, c], bias sum c += Σ_i dz[i, c] for
 * rows [rowStart, rowEnd), dz read from `dz` on (offset by the JS side). Rows go in pairs so each
 * load/store of the gradient serves two rows; a pair whose dz are all zero is skipped as the JS kernel
 * skips such rows.
 */
export function backward(x: usize, dp: i32, k: i32, dz: usize, rowStart: i32, rowEnd: i32, grad: usize): void {
  memory.fill(grad, 0, (<usize>k * <usize>dp + <usize>k) << 3);
  const rowBytes = <usize>dp << 2;
  const dzBytes = <usize>k << 3;
  let row = rowStart;
  let d = dz;
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
