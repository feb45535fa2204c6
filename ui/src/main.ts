// Entry point: mounts the app against the real engine over Tauri IPC.
import { mount } from 'svelte';

import App from './App.svelte';
import './app.css';
import { tauriBackend } from './lib/backend/tauri';

const target = document.getElementById('app');
if (target === null) {
  throw new Error('Rollcall could not find its page root (#app) in index.html.');
}

export default mount(App, { target, props: { backend: tauriBackend } });
