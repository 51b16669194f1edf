import './lib/zod-config';
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { createBrowserBridge } from './lib/browser-bridge';
import { bindJobEvents } from './lib/job-events';
import { bindRunEvents } from './lib/run-events';
import { useJobsStore } from './stores/jobs';
import { startLiveSync } from './stores/live-sync';
import { useRunsStore } from './stores/runs';

// In Electron the preload has put the contract on window.fairbound; in a browser (fairbound serve) the
// same interface is built here over HTTP + WebSocket.
window.fairbound ??= createBrowserBridge();

const pinia = createPinia();
const app = createApp(App).use(pinia);
const jobs = useJobsStore(pinia);
const runs = useRunsStore(pinia);
bindJobEvents(window.fairbound, jobs, (callback) => requestAnimationFrame(callback));
// A run's job progress comes from its run events: both stores take each batch.
bindRunEvents(window.fairbound, {
  apply: (batch) => {
    jobs.applyRunEvents(batch);
    runs.apply(batch);
  },
}, (callback) => requestAnimationFrame(callback));
// Then the jobs in flight, from main: a reload or a late window sees them and follows them.
startLiveSync(pinia);
app.mount('#app');
