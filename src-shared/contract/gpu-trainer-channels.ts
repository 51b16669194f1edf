/**
 * The GPU trainer's hand-over names, apart from the zod schemas of gpu-trainer.ts: the GPU window's
 * sandboxed preload imports only this, so the preload bundle shares no chunk with the main preload
 * (a sandboxed preload can require nothing but 'electron').
 */

/** window.postMessage data that carries the port into the page. */
export const GPU_TRAINER_CONNECT = 'fairbound:gpu-trainer-connect';
/** The IPC channel on which main sends the port to the page's preload. */
export const GPU_TRAINER_PORT_CHANNEL = 'fairbound:gpu-trainer-port';
