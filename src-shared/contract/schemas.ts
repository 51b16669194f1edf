/**
 * The shapes that cross the boundary, one schema per domain object. Inputs mirror the services'
 * options (src-main/data/importers, src-main/audit) but are written here, independently, so the
 * renderer never imports main; the services' handler table is type-checked against them.
 * Optional inputs have no `.default()`: defaults are the services' business, and a schema without
 * transforms encodes and decodes symmetrically.
 */
export * from './schemas/common';
export * from './schemas/app';
export * from './schemas/datasets';
export * from './schemas/imports';
export * from './schemas/files';
export * from './schemas/constraints';
export * from './schemas/audit';
export * from './schemas/jobs';
export * from './schemas/runs';
export * from './schemas/pretrained';
export * from './schemas/experiments';
export * from './schemas/certificate';
export * from './schemas/run-views';
