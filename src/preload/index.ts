/** Preload (sandboxed, CommonJS): exposes only the contract as window.workbench. */
import { contextBridge, ipcRenderer } from 'electron';
import { buildBridge } from './bridge';

contextBridge.exposeInMainWorld('workbench', buildBridge(ipcRenderer));
