/**
 * Renderer entry: installs the API client (Electron bridge or WebSocket), Pinia, and mounts the app.
 */
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { createApi } from './api/client';
import { setApi } from './api/current';
import './styles/main.css';

setApi(createApi());
createApp(App).use(createPinia()).mount('#app');
