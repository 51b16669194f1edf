/** The deep-learning core (design.md §3–4): backend chain, CNNs, training, head cut, latents, export. */
export * from './backends';
export * from './architectures';
export * from './weights';
export * from './images';
export * from './train';
export * from './inference';
export * from './export';
export { registerWasmTrainingKernels } from './wasm-kernels/register';
