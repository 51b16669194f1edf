/**
 * The CNN architectures a run may name. Their layer specs live with the model builder
 * (src-main/deep/architecture-specs.ts), whose table is checked to have exactly these keys.
 */
export type ArchitectureName = 'tutorial-j-cnn' | 'tutorial-g-cnn';
