/**
 * Renderer entry: drops the one-time token from the address bar, installs the API client (Electron
 * bridge or WebSocket), Pinia, and mounts the app.
 * The CSP meta in index.html leaves out frame-ancestors: it only works as an HTTP header (the server and
 * Electron send it), and Chromium logs an error for it in a meta tag.
 */
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { createApi } from './api/client';
import { setApi } from './api/current';
import './styles/main.css';

// Browser mode: the first load is /?token=…; the server has exchanged it for an HttpOnly cookie, so the
// token must not linger in the address bar, history or a copied link.
if (new URLSearchParams(location.search).has('token')) history.replaceState(null, '', location.pathname);

setApi(createApi());
createApp(App).use(createPinia()).mount('#app');
