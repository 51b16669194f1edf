/**
 * Entry of the GPU trainer page (src-renderer/gpu-trainer.html, built with the renderer), which the
 * desktop app loads in a hidden window (src-main/shell/gpu-window.ts). It waits for its MessagePort
 * (src-shared/contract/gpu-trainer.ts has the hand-over) and then answers requests on it; it exposes no
 * global API.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { GPU_TRAINER_CONNECT, GPU_TRAINER_PROTOCOL, type GpuTrainerReply } from '../../../src-shared/contract/gpu-trainer';
import { GpuTrainer } from './trainer';

// The page's CSP forbids eval; zod must not probe for it.
z.config({ jitless: true });

let port: MessagePort | undefined;
const trainer = new GpuTrainer((reply: GpuTrainerReply, transfer: Transferable[] = []) => port?.postMessage(reply, transfer));

window.addEventListener('message', (event: MessageEvent) => {
  // Only a message this window posted to itself (the preload, or a test's page script) carries the port.
  if (event.source !== window || event.data !== GPU_TRAINER_CONNECT || event.ports.length !== 1) return;
  // A new port replaces the old one (main re-connects after its side was closed).
  port?.close();
  port = event.ports[0];
  port.onmessage = (message: MessageEvent) => void trainer.handle(message.data);
  port.postMessage({ type: 'ready', protocol: GPU_TRAINER_PROTOCOL, tfjs: tf.version.tfjs } satisfies GpuTrainerReply);
});
