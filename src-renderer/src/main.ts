import './lib/zod-config';
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { createBrowserBridge } from './lib/browser-bridge';
import { bindJobEvents } from './lib/job-events';
import { bindRunEvents } from './lib/run-events';
import { useJobsStore } from './stores/jobs';
import { useRunsStore } from './stores/runs';

// In Electron the preload has put the contract on window.fairbound; in a browser (fairbound serve) the
// same interface is built here over HTTP + WebSocket.
window.fairbound ??= createBrowserBridge();

const pinia = createPinia();
const app = createApp(App).use(pinia);
bindJobEvents(window.fairbound, useJobsStore(pinia), (callback) => requestAnimationFrame(callback));
bindRunEvents(window.fairbound, useRunsStore(pinia), (callback) => requestAnimationFrame(callback));
app.mount('#app');
