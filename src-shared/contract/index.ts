/**
 * The typed API between the UI and main: route and event catalog, schemas, errors as
 * data, the two channels, and the client that both the preload and browser mode build on.
 */
export * from './channels';
export * from './client';
export * from './errors';
export * from './routes';
export * from './schemas';
export { wireNumber, type ReadonlyDeep } from './wire';
