// The Backend over Tauri IPC: each method invokes one of the shell's commands
// (src-tauri/src/commands.rs), with camelCase argument names.
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
  type ConnectionOverview,
  type DemoPlatform,
  type MappingPreview,
  type MappingSettings,
  type PersonMatch,
  type PlatformAccount,
  type RunSummary,
  type SafetySettings,
  type ScheduleStatus,
  type NotifyFieldProblem,
  type NotifySetup,
  type SyncProgress,
  type SyncReport,
  type TargetFieldProblem,
  type TargetSettings,
  type UpdateCheck,
  type UpdateInstalled,
  type UpdateProgress,
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
  demoPlatform: () => call<DemoPlatform | null>('demo_platform'),
  checkTargetInputs: (kind, url, token) => call<TargetFieldProblem[]>('check_target_inputs', { kind, url, token }),
  chooseTargetFolder: (profile) => call<string | null>('choose_target_folder', { profile }),
  setTarget: (profile, choice) => call<TargetSettings>('set_target', { profile, choice }),
  checkTarget: (profile) => call<Diagnosis[]>('check_target', { profile }),
  mappingPreview: (profile, mapping) => call<MappingPreview>('mapping_preview', { profile, mapping }),
  saveMapping: (profile, mapping) => call<MappingSettings>('save_mapping', { profile, mapping }),
  safety: (profile) => call<SafetySettings>('safety', { profile }),
  saveSafety: (profile, safety) => call<SafetySettings>('save_safety', { profile, safety }),
  connections: () => call<ConnectionOverview[]>('connections'),
  syncNow: async (profile, choice, onRead, onProgress) => {
    // The shell reports the Entra read and then the writes, each as its own event.
    const stopRead = await listen<ReadProgress>('read-progress', (event) => onRead(event.payload));
    const stopSync = await listen<SyncProgress>('sync-progress', (event) => onProgress(event.payload));
    try {
      return await call<SyncReport>('sync_now', { profile, request: choice });
    } finally {
      stopRead();
      stopSync();
    }
  },
  cancelSync: async () => {
    await call<boolean>('cancel_read');
  },
  history: (profile) => call<RunSummary[]>('sync_history', { profile }),
  runReport: (profile, run) => call<SyncReport>('run_report', { profile, run }),
  undoRun: (profile, run, dryRun) => call<SyncReport>('undo_run', { profile, run, dryRun }),
  exportReportCsv: (profile, run) => call<{ path: string; people: number }>('export_report_csv', { profile, run }),
  findPeople: (profile, text) => call<PersonMatch[]>('find_people', { profile, text }),
  platformAccount: (profile, person) => call<PlatformAccount | null>('platform_account', { profile, person }),
  scheduleStatus: (profile) => call<ScheduleStatus>('schedule_status', { profile }),
  setSchedule: (profile, settings) => call<ScheduleStatus>('set_schedule', { profile, settings }),
  clearSchedule: (profile) => call<ScheduleStatus>('clear_schedule', { profile }),
  notifySetup: (profile) => call<NotifySetup>('notify_setup', { profile }),
  checkNotify: (profile, choice) => call<NotifyFieldProblem[]>('check_notify', { profile, choice }),
  saveNotify: (profile, choice) => call<NotifySetup>('save_notify', { profile, choice }),
  sendTestEmail: (profile) => call<void>('send_test_email', { profile }),
  checkForUpdate: () => call<UpdateCheck>('check_for_update'),
  installUpdate: async (onProgress) => {
    const stop = await listen<UpdateProgress>('update-progress', (event) => onProgress(event.payload));
    try {
      return await call<UpdateInstalled>('install_update');
    } finally {
      stop();
    }
  },
  restartAfterUpdate: async () => {
    await call<null>('restart_after_update');
  },
  openLogFolder: async () => {
    await call<null>('open_log_folder');
  },
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
