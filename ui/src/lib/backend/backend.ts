// The one way the UI reaches Rollcall's engine. `tauri.ts` implements it over Tauri IPC;
// `fake.ts` implements it in memory for component tests. Components receive a Backend and
// never import either implementation themselves.
//
// The shapes the engine sends and receives are generated from the Rust types into
// `generated.ts` (the test command fails when that file is out of date); the names the UI
// has always used are kept as aliases.

import type {
  AppStatus,
  CheckReport,
  ChosenCloud as EngineCloud,
  ConnectionRequest as EngineConnectionRequest,
  DemoApp,
  DemoStatus,
  DemoValues,
  Diagnosis,
  ErrorCode,
  ExportedFile,
  FieldProblem,
  GroupChoice,
  PermissionNeed,
  PortalPages,
  Preview,
  PreviewUser,
  ReadProgress,
  SavedConnection,
  SavedGroup,
  SavedScope,
  ScopeChoice,
  TenantLookup,
  Warning,
} from './generated';
import type { SyncBackend } from './sync-contract';
import type { UpdateBackend } from './update-contract';

export type * from './sync-contract';
export type * from './update-contract';

export type {
  AppStatus,
  CheckReport,
  DemoApp,
  DemoStatus,
  DemoValues,
  Diagnosis,
  ErrorCode,
  ExportedFile,
  FieldProblem,
  GroupChoice,
  PermissionNeed,
  PreviewUser,
  ReadProgress,
  SavedConnection,
  SavedGroup,
  SavedScope,
  TenantLookup,
};

/** A failure reported by the engine: a stable code to branch on and a message to show. */
export class BackendError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'BackendError';
    this.code = code;
  }
}

/** Which input a problem is about: an ID, the secret, or one of a custom cloud's addresses. */
export type Field = FieldProblem['field'];

/** What the admin has typed so far; only the fields given are checked. IDs and the secret are
 * checked once something is typed; a custom cloud's addresses whenever given, even empty. */
export interface TypedInputs {
  tenant?: string;
  client_id?: string;
  secret?: string;
  authority_url?: string;
  graph_url?: string;
}

/** The cloud the admin chose, as every command that talks to Entra receives it: a named
 * cloud's id, or `custom` with the sign-in and Graph addresses typed for it (read only then).
 * The wizard always holds both addresses as text, so they are never null here. */
export interface ChosenCloud extends EngineCloud {
  authority_url: string;
  graph_url: string;
}

/** A connection as the wizard collected it. The secret goes to the engine and never comes back. */
export interface ConnectionRequest extends EngineConnectionRequest {
  cloud: ChosenCloud;
}

/** Pages of the Entra admin center for the chosen cloud (and app, once its ID is known). */
export type PortalLinks = PortalPages;

/** Which groups' members get an account. */
export type GroupSelection = ScopeChoice;

/** A warning code on a person, as the `preview` JSON has it. */
export type WarningCode = Warning;

/** Who the groups select and what is wrong with their data (the `preview` JSON). */
export type PreviewResult = Preview;

/** Everything the window asks of the engine: setting a connection up, then syncing it, and
 * updating Rollcall itself. */
export interface Backend extends SyncBackend, UpdateBackend {
  appStatus(): Promise<AppStatus>;
  /** Checks typed values as the admin types them; no network. */
  checkInputs(inputs: TypedInputs): Promise<FieldProblem[]>;
  /** Looks the tenant up through its public sign-in metadata; no secret is sent. */
  findTenant(cloud: ChosenCloud, tenant: string): Promise<TenantLookup>;
  portalLinks(cloud: ChosenCloud, tenant: string | null, clientId: string | null): Promise<PortalLinks>;
  permissionNeeds(): Promise<PermissionNeed[]>;
  /** Signs in as the app and tries the reads Rollcall needs. */
  checkConnection(connection: ConnectionRequest): Promise<CheckReport>;
  /** Saves the connection as a profile (switched off) and the secret in the keychain. */
  saveConnection(name: string, connection: ConnectionRequest): Promise<SavedConnection>;
  /** Every problem the connection check can report, with its fix. */
  troubleshooting(cloud: ChosenCloud): Promise<Diagnosis[]>;
  /** The demo organisation's values; null outside demo mode. */
  demoValues(): Promise<DemoValues | null>;
  /** Groups of a saved connection whose name matches the text (or the one a pasted ID or link names). */
  searchGroups(profile: string, text: string): Promise<GroupChoice[]>;
  /** The group a pasted Object ID or admin-center link names. */
  resolveGroup(profile: string, text: string): Promise<GroupChoice>;
  /** The groups the connection chose last time, looked up again (empty lists when none). */
  savedScope(profile: string): Promise<SavedScope>;
  /** Reads the directory for the selection, reporting progress, and returns who it selects. */
  readPreview(profile: string, selection: GroupSelection, onProgress: (progress: ReadProgress) => void): Promise<PreviewResult>;
  /** Stops the running read; the preview then comes from the last complete read. */
  cancelRead(): Promise<void>;
  /** Asks where to save the preview with the system's save dialog; null when cancelled. */
  chooseExportFile(profile: string): Promise<string | null>;
  /** Writes the preview as CSV to the file last chosen with `chooseExportFile` (`path`, as that
   * returned it; the shell keeps the real choice), or into the data folder when null; says where. */
  exportPreviewCsv(profile: string, selection: GroupSelection, path: string | null): Promise<ExportedFile>;
  /** Opens a page of the admin center in the admin's browser. */
  openLink(url: string): Promise<void>;
  /** Opens the folder of Rollcall's daily log files (for the admin or support to read). */
  openLogFolder(): Promise<void>;
}
