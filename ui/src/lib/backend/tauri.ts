// The Backend over Tauri IPC: each method invokes one command in src-tauri/src/commands.rs or
// src-tauri/src/reading.rs.
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { openUrl } from '@tauri-apps/plugin-opener';

import {
  BackendError,
  type AppStatus,
  type Backend,
  type CheckReport,
  type DemoValues,
  type ExportedFile,
  type GroupChoice,
  type PreviewResult,
  type ReadProgress,
  type Diagnosis,
  type FieldProblem,
  type PermissionNeed,
  type PortalLinks,
  type SavedConnection,
  type SavedScope,
  type TenantLookup,
} from './backend';

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
  checkInputs: (inputs) =>
    call<FieldProblem[]>('check_inputs', {
      tenant: inputs.tenant ?? null,
      clientId: inputs.client_id ?? null,
      secret: inputs.secret ?? null,
      authorityUrl: inputs.authority_url ?? null,
      graphUrl: inputs.graph_url ?? null,
    }),
  findTenant: (cloud, tenant) => call<TenantLookup>('find_tenant', { cloud, tenant }),
  portalLinks: (cloud, tenant, clientId) => call<PortalLinks>('portal_links', { cloud, tenant, clientId }),
  permissionNeeds: () => call<PermissionNeed[]>('permission_needs'),
  checkConnection: (connection) => call<CheckReport>('check_connection', { connection }),
  saveConnection: (name, connection) => call<SavedConnection>('save_connection', { name, connection }),
  troubleshooting: (cloud) => call<Diagnosis[]>('troubleshooting', { cloud }),
  demoValues: () => call<DemoValues | null>('demo_values'),
  searchGroups: (profile, text) => call<GroupChoice[]>('search_groups', { profile, text }),
  resolveGroup: (profile, text) => call<GroupChoice>('resolve_group', { profile, text }),
  savedScope: (profile) => call<SavedScope>('saved_scope', { profile }),
  readPreview: async (profile, selection, onProgress) => {
    const stop = await listen<ReadProgress>('read-progress', (event) => onProgress(event.payload));
    try {
      return await call<PreviewResult>('read_preview', { profile, choice: selection });
    } finally {
      stop();
    }
  },
  cancelRead: async () => {
    await call<boolean>('cancel_read');
  },
  chooseExportFile: (profile) => call<string | null>('choose_export_file', { profile }),
  exportPreviewCsv: (profile, selection, path) =>
    // The shell keeps the file chosen in the save dialog; the window only says to use it.
    call<ExportedFile>('export_preview_csv', { profile, choice: selection, toChosenFile: path !== null }),
  openLink: async (url) => {
    try {
      await openUrl(url);
    } catch (error) {
      throw new BackendError(
        'open_link',
        `Rollcall could not open ${url} in your browser (${String(error)}). Copy the address into your browser instead.`,
      );
    }
  },
};
