// The Tauri backend turns the engine's {code, message} errors into BackendError.
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';

import { BackendError } from '../lib/backend/backend';
import { tauriBackend } from '../lib/backend/tauri';

afterEach(() => clearMocks());

describe('tauri backend', () => {
  it('asks the engine for the app status', async () => {
    const calls: string[] = [];
    mockIPC((command) => {
      calls.push(command);
      return { version: '1.2.3', demo: null };
    });
    await expect(tauriBackend.appStatus()).resolves.toEqual({ version: '1.2.3', demo: null });
    expect(calls).toEqual(['app_status']);
  });

  it('passes on the code and message of an engine error', async () => {
    mockIPC(() => {
      throw { code: 'data_dir', message: 'Rollcall could not create its data folder.' };
    });
    const failure = await tauriBackend.appStatus().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BackendError);
    expect(failure).toMatchObject({ code: 'data_dir', message: 'Rollcall could not create its data folder.' });
  });
});
