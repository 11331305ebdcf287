/**
 * The preload of the designer window. It runs sandboxed and context-isolated, and exposes one
 * object on `window` (`DESKTOP_HOST_GLOBAL`): the host interface of core/host.ts, one function per
 * member. The page never sees `ipcRenderer`, Electron or Node.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { DESKTOP_HOST_GLOBAL } from '../../core/host';
import type { TopoforgeHost } from '../../core/host';
import { createDesktopHost } from './desktop-host';

contextBridge.exposeInMainWorld(DESKTOP_HOST_GLOBAL, createDesktopHost(ipcRenderer) satisfies TopoforgeHost);
