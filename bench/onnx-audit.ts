/**
 * ONNX audit speed (issue 16's targets): inference images/s of the audit's model half (pre-processing,
 * ONNX Runtime, probabilities) for a Tutorial J-shaped CNN at 48×48 — target ≥ 3,000 images/s — and the
 * whole `fairbound audit --model m.onnx` of the 70,000 Fashion-MNIST images (train + t10k) at 28×28 with
 * a Tutorial G-sized CNN — target ≤ 30 s. Both models are written here with onnx-proto, random weights.
 * The second part needs Debian's dataset-fashion-mnist; its import is timed apart and not counted.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { predictOnnx } from '../src-main/audit/onnx/predict';
import { runCli } from '../src-main/cli/main';
import { buildOnnxCnn, type OnnxLayer } from '../test/support/onnx-models';

const FASHION = '/usr/share/datasets/fashion-mnist';

const conv = (filters: number, kernel: number, pad: number): OnnxLayer[] => [{ kind: 'conv', filters, kernel, pad }, { kind: 'relu' }, { kind: 'maxpool' }];

/** Tutorial J's CNN (batch-norm folded away at inference): four conv blocks, 128 → 256 → K dense. */
const TUTORIAL_J: OnnxLayer[] = [...conv(16, 3, 1), ...conv(32, 3, 0), ...conv(64, 3, 0), ...conv(128, 3, 0), { kind: 'flatten' }, { kind: 'gemm', units: 128 }, { kind: 'gemm', units: 256 }, { kind: 'gemm', units: 2 }];
/** Tutorial G's MNIST CNN: two 5×5 conv blocks, then a softmax head. */
const TUTORIAL_G: OnnxLayer[] = [...conv(16, 5, 2), ...conv(32, 5, 2), { kind: 'flatten' }, { kind: 'gemm', units: 2 }, { kind: 'softmax' }];

const dir = mkdtempSync(join(tmpdir(), 'fairbound-bench-onnx-'));
try {
  // 1. Inference: 8,192 random 48×48 grey images in batches of 256, after one warm-up pass.
  const jPath = join(dir, 'tutorial-j.onnx');
  writeFileSync(jPath, buildOnnxCnn({ image: [1, 48, 48], layers: TUTORIAL_J, seed: 1 }).encode());
  const n = 8192;
  const pixels = new Uint8Array(n * 48 * 48);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
  const images = { pixels, n, height: 48, width: 48, channels: 1 };
  const options = { preprocessing: {}, resize: null, batchSize: 256 };
  await predictOnnx(jPath, { ...images, n: 512, pixels: pixels.subarray(0, 512 * 48 * 48) }, undefined, 2, 'bench', options);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const predicted = await predictOnnx(jPath, images, undefined, 2, 'bench', options);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // Per CPU second of this process too: less sensitive than wall time to other processes on the machine.
  const perCpuSecond = Math.round(n / ((cpu.user + cpu.system) / 1e6));
  console.log(`onnx audit inference, Tutorial J CNN 48×48: ${Math.round(n / seconds).toLocaleString('en-US')} images/s (${perCpuSecond.toLocaleString('en-US')} per CPU second; ${n} images in ${seconds.toFixed(2)} s, ${predicted.backendText}); target ≥ 3,000`);

  // 2. The whole audit of 70,000 Fashion-MNIST images with a Tutorial G-sized CNN.
  const files = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'].map((f) => join(FASHION, f));
  if (!files.every((f) => existsSync(f))) {
    console.log(`onnx audit of Fashion-MNIST: skipped, ${FASHION} not installed (Debian package dataset-fashion-mnist)`);
  } else {
    const db = join(dir, 'fm.db');
    const silent = { stdout: () => undefined, stderr: (t: string) => void process.stderr.write(`${t}\n`) };
    const i0 = performance.now();
    const imported = await runCli(['import', 'idx', '--images', files[0], '--labels', files[1], '--images', files[2], '--labels', files[3], '--brightness', '--binary-classes', '0,2,4,6', '--name', 'fashion', '--quiet', '--db', db], silent);
    if (imported !== 0) throw new Error(`import failed (${imported})`);
    const importSeconds = (performance.now() - i0) / 1000;
    const gPath = join(dir, 'tutorial-g.onnx');
    writeFileSync(gPath, buildOnnxCnn({ image: [1, 28, 28], layers: TUTORIAL_G, seed: 2 }).encode());
    let verdicts = '';
    const a0 = performance.now();
    const code = await runCli(
      ['audit', '--dataset', 'fashion', '--model', gPath, '--constraint', 'min((ACC | [dark])/(ACC | [light]),(ACC | [light])/(ACC | [dark])) >= 0.8', '--constraint', 'abs((PR | [dark]) - (PR | [light])) <= 0.1', '--json', '--db', db],
      { stdout: (t) => void (verdicts = (JSON.parse(t) as { constraints: { verdict: string }[] }).constraints.map((c) => c.verdict).join(', ')), stderr: silent.stderr },
    );
    const auditSeconds = (performance.now() - a0) / 1000;
    if (code !== 0) throw new Error(`audit failed (${code})`);
    console.log(`onnx audit of 70,000 Fashion-MNIST images, Tutorial G CNN 28×28: ${auditSeconds.toFixed(1)} s whole (${Math.round(70_000 / auditSeconds).toLocaleString('en-US')} images/s; import ${importSeconds.toFixed(1)} s apart); target ≤ 30 s; verdicts: ${verdicts}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
