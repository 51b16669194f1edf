import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { TrainOptions } from '../../src-main/deep/train';

/**
 * SwiftShader, the software Vulkan driver Debian's chromium package ships: with it in the environment a
 * process starts with, Dawn (the `webgpu` package) finds the adapter "SwiftShader driver 5.0.0", so the
 * webgpu backend's tests run on machines without a GPU (CI). The dynamic loader reads LD_LIBRARY_PATH
 * only when a process starts: the tests pass this to the child processes they spawn (the CLI, whose
 * training worker inherits it), never to Fairbound's own code.
 */
const CHROMIUM_LIBS = '/usr/lib/chromium';
const ICD = `${CHROMIUM_LIBS}/vk_swiftshader_icd.json`;

export const SWIFTSHADER_ENV: Readonly<Record<string, string>> = {
  LD_LIBRARY_PATH: [CHROMIUM_LIBS, process.env.LD_LIBRARY_PATH].filter((p) => p !== undefined && p !== '').join(':'),
  VK_ICD_FILENAMES: ICD,
};

/** What the SwiftShader tests need, for prerequisites.ts's `missing`. */
export const SWIFTSHADER_PREREQUISITE = `chromium's SwiftShader Vulkan driver (${ICD} and ${CHROMIUM_LIBS}/libvulkan.so.1: apt-get install chromium)`;
export const WEBGPU_PACKAGE_PREREQUISITE = "the optional 'webgpu' package (Dawn's Node binding: npm install without --omit=optional)";

export function hasSwiftShader(): boolean {
  return existsSync(ICD) && existsSync(`${CHROMIUM_LIBS}/libvulkan.so.1`) && existsSync(`${CHROMIUM_LIBS}/libvk_swiftshader.so`);
}

export function hasWebgpuPackage(): boolean {
  try {
    createRequire(import.meta.url).resolve('webgpu/package.json');
    return true;
  } catch {
    return false;
  }
}

/** test/support/webgpu-train-child.ts's training: two batches, enough for Adam's second step to use the first's moments, few enough for the cpu backend. */
export const CHILD_ROWS = 8;
export const CHILD_TRAIN_OPTIONS: TrainOptions = { epochs: 1, batchSize: 4, learningRate: 0.001, seed: 9 };
export const CHILD_STEPS = CHILD_ROWS / CHILD_TRAIN_OPTIONS.batchSize;
