// The Backend over Tauri IPC: each method invokes one command in src-tauri/src/commands.rs.
import { invoke } from '@tauri-apps/api/core';

import { BackendError, type AppStatus, type Backend } from './backend';

function isCommandError(value: unknown): value is { code: string; message: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    if (isCommandError(error)) {
      throw new BackendError(error.code, error.message);
    }
    throw new BackendError('ipc', `Rollcall's window could not reach its engine: ${String(error)}`);
  }
}

export const tauriBackend: Backend = {
  appStatus: () => call<AppStatus>('app_status'),
};
