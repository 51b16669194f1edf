/**
 * The CNN architectures a run may name. Their layer specs live with the model builder
 * (src-main/deep/architecture-specs.ts), whose table is checked to have exactly these keys.
 */
export const ARCHITECTURE_NAMES = ['tutorial-j-cnn', 'tutorial-g-cnn'] as const;
export type ArchitectureName = (typeof ARCHITECTURE_NAMES)[number];
