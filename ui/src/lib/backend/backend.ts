// The one way the UI reaches Rollcall's engine. `tauri.ts` implements it over Tauri IPC;
// `fake.ts` implements it in memory for component tests. Components receive a Backend and
// never import either implementation themselves.

/** The made-up organisation the app explores in demo mode. */
export interface DemoStatus {
  tenant_name: string;
  tenant_domain: string;
  people: number;
  authority_url: string;
}

/** What the window needs to know at start. */
export interface AppStatus {
  version: string;
  demo: DemoStatus | null;
}

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
export type Field = 'tenant' | 'client_id' | 'secret' | 'authority_url' | 'graph_url';

/** One problem with one typed value: what is wrong and what to do. */
export interface FieldProblem {
  field: Field;
  message: string;
  fix: string;
}

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
 * cloud's id, or `custom` with the sign-in and Graph addresses typed for it (read only then). */
export interface ChosenCloud {
  id: string;
  authority_url: string;
  graph_url: string;
}

/** One finding of the connection check, as the `check` JSON has it. */
export interface Diagnosis {
  code: string;
  severity: 'error' | 'warning' | 'info';
  title: string;
  cause: string;
  fix: string;
  link: string | null;
}

/** The connection check's verdict (the `check` JSON). */
export interface CheckReport {
  ok: boolean;
  tenant: { id: string | null; name: string | null; cloud: string };
  permissions: { granted: string[]; missing: string[]; optional_missing: string[] };
  diagnoses: Diagnosis[];
  secret_expires: string | null;
}

/** The answer to "does this tenant exist?": its ID, or the finding that says why not. */
export interface TenantLookup {
  /** The tenant as Rollcall reads what was typed (a domain or an ID). */
  entered: string | null;
  tenant_id: string | null;
  diagnosis: Diagnosis | null;
}

/** Pages of the Entra admin center for the chosen cloud (and app, once its ID is known). */
export interface PortalLinks {
  admin_center: string;
  new_registration: string;
  overview: string;
  api_permissions: string;
  certificates_secrets: string;
  enterprise_apps: string;
  tenant_overview: string;
  /** Where a tenant admin grants every permission the app asks for; known once tenant and app are. */
  admin_consent: string | null;
}

/** One permission Rollcall asks for and what it enables, in plain words. */
export interface PermissionNeed {
  permission: string;
  optional: boolean;
  enables: string;
}

/** A connection as the wizard collected it. The secret goes to the engine and never comes back. */
export interface ConnectionRequest {
  cloud: ChosenCloud;
  tenant: string;
  client_id: string;
  secret: string;
  /** The expiry date the admin center showed (YYYY-MM-DD), if entered. */
  secret_expires: string | null;
}

export interface SavedConnection {
  name: string;
}

/** An app registration of the demo organisation, with the values an admin would copy. */
export interface DemoApp {
  name: string;
  client_id: string;
  secret: string;
  secret_id: string;
  /** healthy | no_consent | partial | expired | disabled */
  state: string;
}

/** The values the demo organisation's admin center would show. */
export interface DemoValues {
  tenant_id: string;
  tenant_domain: string;
  apps: DemoApp[];
}

/** A group the admin can pick, with its direct member count when Graph could count it. */
export interface GroupChoice {
  id: string;
  displayName: string;
  description: string | null;
  memberCount: number | null;
}

/** Which groups' members get an account. */
export interface GroupSelection {
  include: string[];
  exclude: string[];
  /** Whether members of groups inside the chosen groups count. */
  nested: boolean;
  guests: boolean;
}

/** A group of the saved choice, looked up again; `missing` when Entra no longer has it. */
export interface SavedGroup extends GroupChoice {
  missing: boolean;
}

/** The group choice a connection saved last time. */
export interface SavedScope {
  include: SavedGroup[];
  exclude: SavedGroup[];
  nested: boolean;
  guests: boolean;
}

/** How far a directory read has got. */
export interface ReadProgress {
  stage: string;
  users: number;
  pages: number;
  requests: number;
  elapsed_ms: number;
  /** Requests the last such read took; null on a first read, when there is no yardstick. */
  expected_requests: number | null;
  /** Estimated time left, when there is a yardstick. */
  time_left_ms: number | null;
}

/** A warning code on a person, as the `preview` JSON has it. */
export type WarningCode =
  | 'no_mail'
  | 'duplicate_mail'
  | 'duplicate_username'
  | 'upn_differs_from_mail'
  | 'manager_outside_scope'
  | 'no_employee_id';

/** One person the groups select (the `preview` JSON's `users`). */
export interface PreviewUser {
  id: string;
  userPrincipalName: string;
  mail: string | null;
  displayName: string;
  enabled: boolean;
  kind: 'member' | 'guest';
  /** Group names from a chosen group down to the one holding the person, one list per way in. */
  paths: string[][];
  warnings: WarningCode[];
  username: string;
  email: string;
}

/** Who the groups select and what is wrong with their data (the `preview` JSON). */
export interface PreviewResult {
  complete: boolean;
  users: PreviewUser[];
  totals: {
    matched: number;
    enabled: number;
    disabled: number;
    guests: number;
    warnings: Record<string, number>;
    excluded: number;
    guests_left_out: number;
  };
  skipped: Record<string, number>;
  problems: { code: string; message: string }[];
  readError?: string;
  readAt?: string;
}

/** Where an export was written. */
export interface ExportedFile {
  path: string;
  people: number;
}

export interface Backend {
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
}
