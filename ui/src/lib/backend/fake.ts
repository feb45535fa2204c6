// An in-memory Backend for component tests: answers from the options it was made with, and
// records what the UI asked for (opened links, checks, saves) so tests can look.
import type {
  AppStatus,
  Backend,
  CheckReport,
  ChosenCloud,
  ConnectionRequest,
  DemoStatus,
  DemoValues,
  Diagnosis,
  GroupChoice,
  GroupSelection,
  PreviewResult,
  PreviewUser,
  ReadProgress,
  SavedScope,
  WarningCode,
  FieldProblem,
  PermissionNeed,
  PortalLinks,
  TenantLookup,
  ChangeKind,
  ConnectionOverview,
  Counts,
  DemoPlatform,
  MappingPreview,
  MappingSettings,
  NotifyChoice,
  NotifyFieldProblem,
  NotifySetup,
  PersonMatch,
  PlannedPerson,
  PlatformAccount,
  RunSummary,
  SafetySettings,
  ScheduleSettings,
  ScheduleStatus,
  SyncBackend,
  SyncChoice,
  SyncProgress,
  SyncReport,
  TargetChoice,
  TargetFieldProblem,
  TargetKind,
  TargetSettings,
  UsernameSource,
} from './backend';
import { BackendError } from './backend';
import { createFakeUpdates, type FakeUpdateOptions, type FakeUpdateRecord } from './fake-update';

export const FAKE_DEMO: DemoStatus = {
  tenant_name: 'Northwind Academy',
  tenant_domain: 'northwind-academy.example',
  people: 250,
  authority_url: 'http://127.0.0.1:8400',
};

export const FAKE_TENANT_ID = '11111111-2222-3333-4444-555555555555';
export const FAKE_CLIENT_ID = '66666666-7777-8888-9999-000000000000';

export const FAKE_DEMO_VALUES: DemoValues = {
  tenant_id: FAKE_TENANT_ID,
  tenant_domain: 'northwind-academy.example',
  apps: [
    { name: 'Rollcall', client_id: FAKE_CLIENT_ID, secret: 'demo~healthy-secret-value-0123456789', secret_id: 'aaaa', state: 'healthy' },
    { name: 'Rollcall (no consent)', client_id: '12121212-3434-5656-7878-909090909090', secret: 'demo~no-consent-secret-value-01234', secret_id: 'bbbb', state: 'no_consent' },
  ],
};

export const FAKE_NEEDS: PermissionNeed[] = [
  { permission: 'User.Read.All', optional: false, enables: "read each person's name, email and whether their account is enabled" },
  { permission: 'GroupMember.Read.All', optional: false, enables: 'list groups and their members, to decide who gets an account' },
  { permission: 'User-LifeCycleInfo.Read.All', optional: true, enables: 'see the leave date HR sets, so leavers are deactivated on their last day' },
];

export const CONSENT_MISSING: Diagnosis = {
  code: 'admin_consent_missing',
  severity: 'error',
  title: 'Admin consent has not been granted',
  cause: 'The app signed in, but it holds no permissions.',
  fix: 'Click "Grant admin consent" on the API permissions page.',
  link: 'http://127.0.0.1:8400/tenant/adminconsent?client_id=app',
};

export function greenReport(): CheckReport {
  return {
    ok: true,
    tenant: { id: FAKE_TENANT_ID, name: 'Northwind Academy', cloud: 'global' },
    permissions: { granted: ['User.Read.All', 'GroupMember.Read.All', 'User-LifeCycleInfo.Read.All'], missing: [], optional_missing: [] },
    diagnoses: [],
    secret_expires: null,
  };
}

export function consentMissingReport(): CheckReport {
  return {
    ok: false,
    tenant: { id: FAKE_TENANT_ID, name: 'Northwind Academy', cloud: 'global' },
    permissions: { granted: [], missing: ['User.Read.All', 'GroupMember.Read.All'], optional_missing: ['User-LifeCycleInfo.Read.All'] },
    diagnoses: [CONSENT_MISSING],
    secret_expires: null,
  };
}

export const FAKE_GROUPS: GroupChoice[] = [
  { id: 'a0000000-0000-0000-0000-000000000001', displayName: 'All Staff', description: 'Everyone employed by the school', memberCount: 120 },
  { id: 'a0000000-0000-0000-0000-000000000002', displayName: 'Staff Teachers', description: null, memberCount: 64 },
  { id: 'a0000000-0000-0000-0000-000000000003', displayName: 'Students Year 7', description: 'Year 7 pupils', memberCount: 180 },
  { id: 'a0000000-0000-0000-0000-000000000004', displayName: 'Supply cover', description: null, memberCount: 9 },
];

/** A made-up preview of `count` people: every 7th has no mail, every 11th is disabled, every
 * 13th a guest; paths run through the fake groups. */
export function fakePreview(count: number): PreviewResult {
  const users: PreviewUser[] = [];
  const warnings: Record<string, number> = {};
  let enabled = 0;
  let guests = 0;
  for (let index = 0; index < count; index += 1) {
    const noMail = index % 7 === 3;
    const guest = index % 13 === 5;
    const active = index % 11 !== 2;
    const upn = `person${index}@northwind-academy.example`;
    const codes: WarningCode[] = noMail ? ['no_mail'] : [];
    for (const code of codes) warnings[code] = (warnings[code] ?? 0) + 1;
    if (active) enabled += 1;
    if (guest) guests += 1;
    users.push({
      id: `u-${index}`,
      userPrincipalName: upn,
      mail: noMail ? null : `first${index}.last@northwind-academy.example`,
      displayName: `Person ${index} ${index % 2 === 0 ? 'Ahmed' : 'Okafor'}`,
      enabled: active,
      kind: guest ? 'guest' : 'member',
      paths: [index % 3 === 0 ? ['All Staff', 'Staff Teachers', 'Year 7 tutors'] : ['Students Year 7']],
      warnings: codes,
      username: upn,
      email: noMail ? upn : `first${index}.last@northwind-academy.example`,
      managerId: null,
      department: null,
    });
  }
  return {
    complete: true,
    users,
    totals: { matched: count, enabled, disabled: count - enabled, guests, warnings, excluded: 0, guests_left_out: 0 },
    skipped: {},
    problems: [],
  };
}

export interface FakeBackendOptions {
  demo?: DemoStatus | null;
  version?: string;
  /** Reports the connection check gives, one per check; the last one repeats. */
  reports?: CheckReport[];
  /** Every diagnosis for the troubleshooting page. */
  catalogue?: Diagnosis[];
  /** The groups the directory has; FAKE_GROUPS unless given. */
  groups?: GroupChoice[];
  /** The preview every read returns; fakePreview(40) unless given. */
  preview?: PreviewResult;
  /** Progress reports a read sends before it answers. */
  progress?: ReadProgress[];
  /** When true, reads wait until cancelled or `finishRead` is called. */
  holdReads?: boolean;
  /** The group choice saved last time; none unless given. */
  savedScope?: SavedScope;
  /** What the save dialog answers: a path, or null as when the admin cancels. */
  chosenFile?: string | null;
  /** The sync's answers (see FakeSyncOptions). */
  sync?: FakeSyncOptions;
  /** The learning platform and mapping steps' answers. */
  setup?: FakeSetupOptions;
  /** The update check's and install's answers (up to date unless given). */
  update?: FakeUpdateOptions;
}

/** What the UI asked the fake backend for. */
export interface FakeRecord {
  opened: string[];
  /** Tenant lookups, with the cloud each was made in. */
  lookups: { cloud: ChosenCloud; tenant: string }[];
  checks: ConnectionRequest[];
  saved: { name: string; connection: ConnectionRequest }[];
  searches: { profile: string; text: string }[];
  reads: { profile: string; selection: GroupSelection }[];
  cancels: number;
  exports: { profile: string; selection: GroupSelection; path: string | null }[];
  /** How many times the log folder was asked to open. */
  logFolderOpened: number;
}

export type FakeBackend = Backend & { record: FakeRecord; setup: FakeSetupRecord; finishRead: () => void; sync: FakeSyncControl; updates: FakeUpdateRecord };

const GUID = /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i;

function typedProblems(tenant?: string, clientId?: string, secret?: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const t = tenant?.trim();
  if (t && !GUID.test(t) && !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(t)) {
    problems.push({ field: 'tenant', message: `"${t}" is not a tenant ID or a domain.`, fix: 'Copy the Tenant ID from Overview.' });
  }
  const c = clientId?.trim();
  if (c && !GUID.test(c)) {
    problems.push({ field: 'client_id', message: 'The client ID is not a GUID.', fix: 'Copy the Application (client) ID from Overview.' });
  }
  const s = secret?.trim();
  if (s && GUID.test(s)) {
    problems.push({
      field: 'secret',
      message: 'This looks like the Secret ID. Paste the Value instead: the client secret is in the Value column.',
      fix: 'On the Certificates & secrets page, copy the Value column, not the Secret ID column.',
    });
  }
  return problems;
}

// The engine's verdict on one custom-cloud address, in the engine's words (the shell's unit
// tests pin the same wording).
const ADDRESS_FIX: Record<'authority_url' | 'graph_url', string> = {
  authority_url:
    'Enter the sign-in address in full, such as https://login.example.com. Plain http works only for a server on this computer (127.0.0.1, localhost or [::1]).',
  graph_url:
    'Enter the Microsoft Graph address in full, such as https://graph.example.com. Plain http works only for a server on this computer (127.0.0.1, localhost or [::1]).',
};

function addressProblem(field: 'authority_url' | 'graph_url', typed: string | undefined): FieldProblem[] {
  if (typed === undefined) return [];
  const value = typed.trim();
  const problem = (message: string): FieldProblem[] => [{ field, message, fix: ADDRESS_FIX[field] }];
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return problem(`The ${field} "${value}" is not a web address. Enter it in full, for example https://login.example.com.`);
  }
  if (url.hostname === '') {
    return problem(`The ${field} "${value}" is not a web address. Enter it in full, for example https://login.example.com.`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname.toLowerCase());
  if (url.protocol === 'http:' && !loopback) {
    return problem(
      `The ${field} ${value} uses plain http on another computer, which would send the secret unprotected. Use https, or http only on this computer (127.0.0.1, localhost or [::1]).`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return problem(`The ${field} ${value} must start with https:// (or http:// on this computer only).`);
  }
  if (url.search !== '' || url.hash !== '') {
    return problem(`The ${field} ${value} must be just the server address, without ?query or #fragment parts.`);
  }
  return [];
}

function links(cloud: ChosenCloud, tenant: string | null, clientId: string | null): PortalLinks {
  // Like the engine, a custom cloud serves its admin pages at its sign-in address.
  const center = cloud.id === 'custom' ? cloud.authority_url.trim().replace(/\/+$/, '') : `https://entra.example/${cloud.id}`;
  return {
    admin_center: center,
    new_registration: `${center}/new-registration`,
    overview: `${center}/overview`,
    api_permissions: `${center}/api-permissions`,
    certificates_secrets: `${center}/certificates-secrets`,
    enterprise_apps: `${center}/enterprise-apps`,
    tenant_overview: `${center}/tenant-overview`,
    admin_consent: tenant && clientId ? `https://login.example/${tenant}/adminconsent?client_id=${clientId}` : null,
  };
}

export function createFakeBackend(options: FakeBackendOptions = {}): FakeBackend {
  const status: AppStatus = {
    version: options.version ?? '0.0.0-test',
    demo: options.demo ?? null,
  };
  const reports = options.reports ?? [greenReport()];
  const record: FakeRecord = { opened: [], lookups: [], checks: [], saved: [], searches: [], reads: [], cancels: 0, exports: [], logFolderOpened: 0 };
  const groups = options.groups ?? FAKE_GROUPS;
  const preview = options.preview ?? fakePreview(40);
  const setup: FakeSetupRecord = { inputChecks: [], folderChoices: 0, targets: [], targetChecks: [], previews: [], mappings: [] };
  let release: ((cancelled: boolean) => void) | null = null;
  const findGroup = (text: string): GroupChoice | undefined => {
    const typed = text.trim().toLowerCase();
    return groups.find((group) => typed.includes(group.id));
  };
  const sync = createFakeSync(options.sync ?? {});
  const updates = createFakeUpdates(options.update);
  return {
    ...updates.methods,
    updates: updates.record,
    // The setup steps' answers, unless the test set up the sync's (which answer the same
    // calls from its own connections).
    ...(options.sync === undefined ? {} : fakeSetup(options.setup ?? {}, setup, status.demo !== null)),
    ...sync.methods,
    ...(options.sync === undefined ? fakeSetup(options.setup ?? {}, setup, status.demo !== null) : {}),
    ...(options.setup?.connections ? { connections: async () => structuredClone(options.setup?.connections ?? []) } : {}),
    sync: sync.control,
    setup,
    record,
    finishRead: () => release?.(false),
    searchGroups: async (profile, text) => {
      record.searches.push({ profile, text });
      const pasted = findGroup(text);
      if (pasted) return [structuredClone(pasted)];
      const words = text.trim().toLowerCase();
      return structuredClone(
        groups.filter((group) => group.displayName.toLowerCase().split(/\s+/).some((word) => word.startsWith(words)) || group.displayName.toLowerCase().startsWith(words)),
      );
    },
    resolveGroup: async (_profile, text) => {
      const found = findGroup(text);
      if (!found) throw new BackendError('group_not_found', `No group with ID ${text.trim()} exists in this tenant.`);
      return structuredClone(found);
    },
    readPreview: async (profile, selection, onProgress) => {
      record.reads.push({ profile, selection: structuredClone(selection) });
      for (const progress of options.progress ?? []) onProgress(progress);
      if (options.holdReads) {
        const cancelled = await new Promise<boolean>((resolve) => {
          release = resolve;
        });
        release = null;
        if (cancelled) {
          return { ...structuredClone(preview), complete: false, readError: 'The read was cancelled before it finished; the previous cache is kept.' };
        }
      }
      return structuredClone(preview);
    },
    savedScope: async () => structuredClone(options.savedScope ?? { include: [], exclude: [], nested: true, guests: false }),
    chooseExportFile: async () => options.chosenFile ?? null,
    cancelRead: async () => {
      record.cancels += 1;
      release?.(true);
    },
    exportPreviewCsv: async (profile, selection, path) => {
      record.exports.push({ profile, selection: structuredClone(selection), path });
      return { path: path ?? `exports/${profile}-preview.csv`, people: preview.users.length };
    },
    appStatus: async () => structuredClone(status),
    checkInputs: async (inputs) => [
      ...typedProblems(inputs.tenant, inputs.client_id, inputs.secret),
      ...addressProblem('authority_url', inputs.authority_url),
      ...addressProblem('graph_url', inputs.graph_url),
    ],
    findTenant: async (cloud, tenant): Promise<TenantLookup> => {
      record.lookups.push({ cloud: { ...cloud }, tenant });
      const problems = typedProblems(tenant);
      if (problems.length > 0 || tenant.trim() === '') {
        return { entered: null, tenant_id: null, diagnosis: null };
      }
      if (tenant.trim().toLowerCase() === 'nobody.example') {
        return {
          entered: 'nobody.example',
          tenant_id: null,
          diagnosis: { ...CONSENT_MISSING, code: 'tenant_not_found', title: 'The tenant was not found', cause: 'No tenant is called "nobody.example".' },
        };
      }
      const entered = tenant.trim().toLowerCase();
      return { entered, tenant_id: GUID.test(entered) ? entered : FAKE_TENANT_ID, diagnosis: null };
    },
    portalLinks: async (cloud, tenant, clientId) => links(cloud, tenant, clientId),
    permissionNeeds: async () => structuredClone(FAKE_NEEDS),
    checkConnection: async (connection) => {
      record.checks.push(structuredClone(connection));
      const index = Math.min(record.checks.length - 1, reports.length - 1);
      return structuredClone(reports[index]);
    },
    saveConnection: async (name, connection) => {
      record.saved.push({ name, connection: structuredClone(connection) });
      return { name };
    },
    troubleshooting: async () => structuredClone(options.catalogue ?? [CONSENT_MISSING]),
    demoValues: async () => (status.demo ? structuredClone(FAKE_DEMO_VALUES) : null),
    openLogFolder: async () => {
      record.logFolderOpened += 1;
    },
    openLink: async (url) => {
      record.opened.push(url);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The sync (SyncBackend): connections, plans, runs, history, undo, and the setup steps' platform,
// mapping and safety methods, answered from FakeSyncOptions and recorded in FakeSyncRecord.
// ---------------------------------------------------------------------------------------------

/** Counts with every kind at zero unless given. */
export function counts(given: Partial<Counts> = {}): Counts {
  return { create: 0, adopt: 0, update: 0, reactivate: 0, managers: 0, groups: 0, deactivate: 0, ...given };
}

/** `count` made-up planned people: of every 20, 8 created, 2 linked to an existing account,
 * 6 updated (title and email), 1 switched back on and 3 switched off. */
export function fakePlannedPeople(count: number, outcome: PlannedPerson['outcome'] = 'planned'): PlannedPerson[] {
  const kindOf = (slot: number): ChangeKind => {
    if (slot < 8) return 'create';
    if (slot < 10) return 'adopt';
    if (slot < 16) return 'update';
    if (slot < 17) return 'reactivate';
    return 'deactivate';
  };
  const people: PlannedPerson[] = [];
  for (let index = 0; index < count; index += 1) {
    const kind = kindOf(index % 20);
    const surname = index % 2 === 0 ? 'Ahmed' : 'Okafor';
    people.push({
      kind,
      entra_id: `u-${index}`,
      user_name: `person${index}@northwind-academy.example`,
      display_name: `Person ${index} ${surname}`,
      changes:
        kind === 'update'
          ? [
              { path: 'title', label: 'Job title', before: 'Teacher', after: 'Head of Year' },
              { path: 'emails[type eq "work"].value', label: 'Email', before: null, after: `person${index}@northwind-academy.example` },
            ]
          : [],
      reason: kind === 'deactivate' ? (index % 40 === 17 ? 'disabled in Entra' : 'left the groups') : kind === 'adopt' ? 'same user name' : null,
      outcome,
    });
  }
  return people;
}

/** The counts of a list of planned people. */
export function countPeople(people: PlannedPerson[]): Counts {
  const total = counts();
  for (const person of people) total[person.kind] += 1;
  return total;
}

/** A made-up report over `people` planned people (20 unless given). */
export function fakeSyncReport(given: Partial<SyncReport> & { count?: number } = {}): SyncReport {
  const { count = 20, ...rest } = given;
  const dryRun = rest.dry_run ?? true;
  const people = rest.people ?? fakePlannedPeople(count, dryRun ? 'planned' : 'done');
  const plan = countPeople(people);
  return {
    run: 7,
    dry_run: dryRun,
    trigger: 'manual',
    started_at: '2026-03-02T09:00:00Z',
    finished_at: '2026-03-02T09:00:04Z',
    elapsed_ms: 4000,
    plan,
    applied: dryRun ? counts() : plan,
    unchanged: 230,
    errors: [],
    blocked: [],
    estimate: { requests: people.length, rate: 20, minutes: people.length / 20 / 60 },
    writes: dryRun ? 0 : people.length,
    problems: [],
    deactivated: [],
    not_deactivated: [],
    adopted: [],
    resolved: { found: 0, not_applied: 0, problems: [] },
    ...rest,
    people,
  };
}

/** A past run as the history lists it. */
export function fakeRun(given: Partial<RunSummary> = {}): RunSummary {
  return {
    id: 7,
    trigger: 'manual',
    dry_run: false,
    started_at: '2026-03-02T09:00:00Z',
    finished_at: '2026-03-02T09:00:04Z',
    elapsed_ms: 4000,
    applied: counts({ create: 8, update: 6, deactivate: 3 }),
    errors: 0,
    held: 0,
    outcome: 'ok',
    undoable: false,
    skipped: null,
    failed: null,
    ...given,
  };
}

/** A connection as the home screen gets it: set up, with a SCIM platform, synced once. */
export function fakeConnection(given: Partial<ConnectionOverview> = {}): ConnectionOverview {
  return {
    name: 'northwind',
    enabled: true,
    broken: null,
    tenant: 'Northwind Academy',
    target: { kind: 'scim', url: 'https://lms.northwind-academy.example/scim/v2' },
    secret_expires: '2026-12-31',
    secret_days_left: 120,
    last_run: fakeRun(),
    next_run: null,
    groups: 2,
    accounts: 250,
    ...given,
  };
}

export const FAKE_PEOPLE: PersonMatch[] = [
  { id: 'u-1', display_name: 'Amara Okafor', user_principal_name: 'amara.okafor@northwind-academy.example' },
  { id: 'u-2', display_name: 'Amir Ahmed', user_principal_name: 'amir.ahmed@northwind-academy.example' },
  { id: 'u-3', display_name: 'Beth Ng', user_principal_name: 'beth.ng@northwind-academy.example' },
];

/** A connection's schedule as the engine reports it: none yet, after a sync by hand worked. */
export function fakeScheduleStatus(given: Partial<ScheduleStatus> = {}): ScheduleStatus {
  return {
    name: 'northwind',
    sync_by_hand_worked: true,
    rule: null,
    settings: null,
    time_zone: null,
    after: null,
    enabled: true,
    next_run: null,
    next_run_local: null,
    last_run: null,
    running: false,
    scheduler: 'systemd',
    registered: 'not_scheduled',
    registered_files: [],
    problem: null,
    ...given,
  };
}

export interface FakeSyncOptions {
  connections?: ConnectionOverview[];
  /** The schedule's status before anything is set; fakeScheduleStatus() unless given. */
  schedule?: ScheduleStatus;
  /** When set, registering with the operating system is refused with this message. */
  registerRefusal?: string;
  /** What a dry run answers (a function sees the choice); fakeSyncReport() unless given. */
  plan?: SyncReport | ((choice: SyncChoice) => SyncReport);
  /** What a real run answers; the plan, applied, unless given. */
  result?: SyncReport | ((choice: SyncChoice) => SyncReport);
  /** The runs the history lists. */
  history?: RunSummary[];
  /** Past runs' reports by run number; fakeSyncReport({ run, dry_run: false }) unless given. */
  reports?: Record<number, SyncReport>;
  /** What undo answers; a report switching `undoCount` people back on unless given. */
  undo?: (run: number, dryRun: boolean) => SyncReport;
  undoCount?: number;
  /** A method that fails, and how. */
  errors?: Partial<Record<keyof SyncBackend, BackendError>>;
  /** Progress a sync sends before its writes: the read's, then the writes'. */
  readProgress?: ReadProgress[];
  syncProgress?: SyncProgress[];
  /** When true, real (not dry) runs wait until `finishSync` or `cancelSync`. */
  holdRuns?: boolean;
  /** When true, dry runs (plans) wait until `finishSync` or `cancelSync`. */
  holdPlans?: boolean;
  /** People `findPeople` looks through; FAKE_PEOPLE unless given. */
  people?: PersonMatch[];
  /** Accounts on the platform by person. */
  accounts?: Record<string, PlatformAccount>;
  /** What the platform check finds; nothing (it works) unless given. */
  targetDiagnoses?: Diagnosis[];
  safety?: SafetySettings;
  /** The notification settings before anything is saved: desktop on, no email, unless given. */
  notify?: NotifySetup;
  /** What sending a test email answers: sent, unless an error is given. */
  testEmailError?: BackendError;
  demoPlatform?: DemoPlatform | null;
  /** What the folder dialog answers. */
  targetFolder?: string | null;
}

/** What the sync screens asked the fake for. */
export interface FakeSyncRecord {
  syncs: { profile: string; choice: SyncChoice }[];
  cancels: number;
  undos: { profile: string; run: number; dryRun: boolean }[];
  csvExports: { profile: string; run: number }[];
  reportsOpened: { profile: string; run: number }[];
  finds: { profile: string; text: string }[];
  accountLookups: { profile: string; person: string }[];
  targetChecks: string[];
  targets: { profile: string; choice: TargetChoice }[];
  mappings: { profile: string; mapping: MappingSettings }[];
  safetySaved: { profile: string; safety: SafetySettings }[];
  connectionLists: number;
  schedulesSet: { profile: string; settings: ScheduleSettings }[];
  schedulesCleared: string[];
  notifySaved: { profile: string; choice: NotifyChoice }[];
  testEmails: string[];
}

export interface FakeSyncControl {
  record: FakeSyncRecord;
  /** Lets a held sync answer. */
  finishSync: () => void;
  /** Sends write progress to the sync running now. */
  progress: (progress: SyncProgress) => void;
  /** Whether a sync is waiting to be finished or cancelled. */
  running: () => boolean;
}

function pick(given: SyncReport | ((choice: SyncChoice) => SyncReport) | undefined, choice: SyncChoice): SyncReport | undefined {
  return typeof given === 'function' ? given(choice) : given;
}

function applied(report: SyncReport): SyncReport {
  return {
    ...report,
    dry_run: false,
    applied: { ...report.plan },
    writes: report.people.length,
    people: report.people.map((person) => ({ ...person, outcome: person.outcome === 'planned' ? 'done' : person.outcome })),
  };
}

function createFakeSync(options: FakeSyncOptions): { methods: SyncBackend; control: FakeSyncControl } {
  const record: FakeSyncRecord = {
    syncs: [],
    cancels: 0,
    undos: [],
    csvExports: [],
    reportsOpened: [],
    finds: [],
    accountLookups: [],
    targetChecks: [],
    targets: [],
    mappings: [],
    safetySaved: [],
    connectionLists: 0,
    schedulesSet: [],
    schedulesCleared: [],
    notifySaved: [],
    testEmails: [],
  };
  let notify: NotifySetup = structuredClone(options.notify ?? { settings: { desktop: true }, password_stored: false });
  // The engine's rules for the notifications step, in the order it applies them.
  const notifyProblems = (choice: NotifyChoice): NotifyFieldProblem[] => {
    const email = choice.settings.email;
    if (!email) return [];
    const address = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
    if (email.to.length === 0) return [{ field: 'to', message: 'No one is listed to get the report. Add at least one email address, for example it@school.example.' }];
    const bad = email.to.find((entry) => !address.test(entry));
    if (bad !== undefined) return [{ field: 'to', message: `"${bad}" is not an email address. Write it as name@example.com (one address per entry).` }];
    if (!address.test(email.from)) return [{ field: 'from', message: `"${email.from}" is not an email address. Write it as name@example.com (one address per entry).` }];
    if (email.server.trim() === '' || /[/ :]/.test(email.server)) return [{ field: 'server', message: `"${email.server}" is not a mail server's name. Use the name your mail provider gives for sending mail (SMTP), for example smtp.office365.com, without https:// and without the port.` }];
    if (!email.port) return [{ field: 'port', message: '0 is not a port. Use the mail server\'s port for sending mail, usually 587.' }];
    if (email.user != null && !choice.password && !notify.password_stored) {
      return [{ field: 'password', message: `Enter the password ${email.user} signs in to ${email.server} with.` }];
    }
    return [];
  };
  let schedule: ScheduleStatus = structuredClone(options.schedule ?? fakeScheduleStatus());
  let safety: SafetySettings = options.safety ?? { max_deactivations: 50, max_deactivation_percent: 10 };
  let release: ((cancelled: boolean) => void) | null = null;
  let onProgress: ((progress: SyncProgress) => void) | null = null;
  const fail = (method: keyof SyncBackend): void => {
    const error = options.errors?.[method];
    if (error) throw error;
  };
  const undoReport = (run: number, dryRun: boolean): SyncReport => {
    if (options.undo) return options.undo(run, dryRun);
    const people = fakePlannedPeople(options.undoCount ?? 12).map((person) => ({
      ...person,
      kind: 'reactivate' as const,
      changes: [],
      reason: null,
      outcome: dryRun ? ('planned' as const) : ('done' as const),
    }));
    return fakeSyncReport({ run: run + 100, dry_run: dryRun, trigger: 'undo', people });
  };
  const methods: SyncBackend = {
    demoPlatform: async () => options.demoPlatform ?? null,
    checkTargetInputs: async (kind, url, token) => {
      fail('checkTargetInputs');
      const problems: TargetFieldProblem[] = [];
      if (kind === 'scim' && url.trim() !== '' && !/^https:\/\/|^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(url.trim())) {
        problems.push({ field: 'target_url', message: 'Enter the address in full, starting with https://.' });
      }
      if (kind === 'scim' && token !== '' && token.trim().length < 8) {
        problems.push({ field: 'target_token', message: 'The token looks too short: copy all of it.' });
      }
      return problems;
    },
    chooseTargetFolder: async () => {
      fail('chooseTargetFolder');
      return options.targetFolder === undefined ? 'Documents/Rollcall' : options.targetFolder;
    },
    setTarget: async (profile, choice) => {
      fail('setTarget');
      record.targets.push({ profile, choice: structuredClone(choice) });
      return choice.kind === 'scim' ? { kind: 'scim', url: choice.url } : { kind: 'csv', path: options.targetFolder ?? 'Documents/Rollcall' };
    },
    checkTarget: async (profile) => {
      record.targetChecks.push(profile);
      fail('checkTarget');
      return structuredClone(options.targetDiagnoses ?? []);
    },
    mappingPreview: async (_profile, mapping): Promise<MappingPreview> => {
      fail('mappingPreview');
      const chosen = mapping ?? { username: 'userPrincipalName', custom: {} };
      return {
        mapping: structuredClone(chosen),
        samples: FAKE_PEOPLE.map((person) => ({
          entra_id: person.id,
          display_name: person.display_name,
          user_principal_name: person.user_principal_name,
          user_name: chosen.username === 'employeeId' ? '' : person.user_principal_name,
          values: [{ path: 'userName', label: 'User name', value: person.user_principal_name }],
        })),
        unsendable: [],
        people: 250,
        custom_sources: ['department', 'jobTitle', 'employeeId'],
      };
    },
    saveMapping: async (profile, mapping) => {
      fail('saveMapping');
      record.mappings.push({ profile, mapping: structuredClone(mapping) });
      return structuredClone(mapping);
    },
    safety: async () => {
      fail('safety');
      return { ...safety };
    },
    saveSafety: async (profile, given) => {
      fail('saveSafety');
      record.safetySaved.push({ profile, safety: { ...given } });
      safety = { ...given };
      return { ...safety };
    },
    connections: async () => {
      record.connectionLists += 1;
      fail('connections');
      return structuredClone(options.connections ?? []);
    },
    syncNow: async (profile, choice, onRead, progress) => {
      record.syncs.push({ profile, choice: { ...choice } });
      fail('syncNow');
      for (const report of options.readProgress ?? []) onRead(report);
      const plan = pick(options.plan, choice) ?? fakeSyncReport();
      if (!choice.dry_run) {
        onProgress = progress;
        for (const report of options.syncProgress ?? []) progress(report);
      }
      if ((choice.dry_run && options.holdPlans) || (!choice.dry_run && options.holdRuns)) {
        const cancelled = await new Promise<boolean>((resolve) => {
          release = resolve;
        });
        release = null;
        if (cancelled && choice.dry_run) throw new BackendError('stopped', 'The read was stopped before it finished.');
        if (cancelled) {
          onProgress = null;
          const done = pick(options.result, choice) ?? applied(plan);
          return { ...structuredClone(done), stopped: 'Stopped by the administrator.' };
        }
      }
      onProgress = null;
      if (choice.dry_run) return structuredClone({ ...plan, dry_run: true });
      return structuredClone(pick(options.result, choice) ?? applied(plan));
    },
    cancelSync: async () => {
      record.cancels += 1;
      release?.(true);
    },
    history: async () => {
      fail('history');
      return structuredClone(options.history ?? []);
    },
    runReport: async (profile, run) => {
      record.reportsOpened.push({ profile, run });
      fail('runReport');
      return structuredClone(options.reports?.[run] ?? fakeSyncReport({ run, dry_run: false }));
    },
    undoRun: async (profile, run, dryRun) => {
      record.undos.push({ profile, run, dryRun });
      fail('undoRun');
      return undoReport(run, dryRun);
    },
    exportReportCsv: async (profile, run) => {
      record.csvExports.push({ profile, run });
      fail('exportReportCsv');
      const people = options.reports?.[run]?.people.length ?? 20;
      return { path: `exports/${profile}-run-${run}.csv`, people };
    },
    findPeople: async (profile, text) => {
      record.finds.push({ profile, text });
      fail('findPeople');
      const needle = text.trim().toLowerCase();
      return structuredClone(
        (options.people ?? FAKE_PEOPLE).filter(
          (person) => person.display_name.toLowerCase().includes(needle) || person.user_principal_name.toLowerCase().includes(needle),
        ),
      );
    },
    platformAccount: async (profile, person) => {
      record.accountLookups.push({ profile, person });
      fail('platformAccount');
      return structuredClone(options.accounts?.[person] ?? null);
    },
    scheduleStatus: async (profile) => {
      fail('scheduleStatus');
      return { ...structuredClone(schedule), name: profile };
    },
    setSchedule: async (profile, settings) => {
      record.schedulesSet.push({ profile, settings: structuredClone(settings) });
      fail('setSchedule');
      // Refused as the engine refuses: the rule first, then a missing first sync, then the OS.
      if (settings.every !== undefined && settings.every !== null && /^0+m?$/.test(settings.every.trim())) {
        throw new BackendError('schedule', `every = "${settings.every}" is zero or less, so the schedule would never wait between runs. Use at least "5m" (for example "90m" or "24h").`);
      }
      if (settings.after === profile) {
        throw new BackendError('schedule', `"${profile}" cannot run after itself. Name another connection, or leave out --after.`);
      }
      if (!schedule.sync_by_hand_worked) {
        throw new BackendError(
          'first_sync_needed',
          `"${profile}" has not had a sync by hand that worked yet, and a schedule is only switched on after one. Run "Sync now" (or \`rollcall sync ${profile}\`) first, check the result, then set the schedule.`,
        );
      }
      if (options.registerRefusal) throw new BackendError('register', options.registerRefusal);
      schedule = {
        ...schedule,
        settings: structuredClone(settings),
        rule: settings.every ? `every ${settings.every}` : settings.daily ? `daily at ${settings.daily}` : `weekdays (Monday to Friday) at ${settings.weekdays}`,
        time_zone: settings.time_zone ?? null,
        after: settings.after ?? null,
        enabled: true,
        next_run: '2026-12-03T02:00:00.000Z',
        next_run_local: 'Thu 3 Dec 2026, 02:00 GMT',
        registered: 'matches',
        registered_files: ['rollcall-sync-northwind.service', 'rollcall-sync-northwind.timer'],
        problem: null,
      };
      return { ...structuredClone(schedule), name: profile };
    },
    clearSchedule: async (profile) => {
      record.schedulesCleared.push(profile);
      fail('clearSchedule');
      schedule = { ...schedule, settings: null, rule: null, time_zone: null, after: null, enabled: false, next_run: null, next_run_local: null, registered: 'not_scheduled', registered_files: [], problem: null };
      return { ...structuredClone(schedule), name: profile };
    },
    notifySetup: async () => {
      fail('notifySetup');
      return structuredClone(notify);
    },
    checkNotify: async (_profile, choice) => {
      fail('checkNotify');
      return notifyProblems(choice);
    },
    saveNotify: async (profile, choice) => {
      record.notifySaved.push({ profile, choice: structuredClone(choice) });
      fail('saveNotify');
      const problem = notifyProblems(choice)[0];
      if (problem) throw new BackendError('profile_invalid', problem.message);
      notify = {
        settings: structuredClone(choice.settings),
        password_stored: choice.settings.email?.user != null && (notify.password_stored || !!choice.password),
      };
      return structuredClone(notify);
    },
    sendTestEmail: async (profile) => {
      record.testEmails.push(profile);
      fail('sendTestEmail');
      if (options.testEmailError) throw options.testEmailError;
    },
  };
  const control: FakeSyncControl = {
    record,
    finishSync: () => release?.(false),
    progress: (progress) => onProgress?.(progress),
    running: () => release !== null,
  };
  return { methods, control };
}

// ---------------------------------------------------------------------------------------
// The learning platform and mapping steps. Answers like the engine: the typed address and
// token are checked by shape, a folder whose name says "read-only" cannot be written, the
// token "wrong-token" is refused by the platform, and the mapping is shown on six people
// (three without an email address, two without an employee ID).

export const FAKE_DEMO_PLATFORM: DemoPlatform = { url: 'http://127.0.0.1:8401/scim/v2', token: 'demo-scim-token-0123456789' };

export const TOKEN_REJECTED: Diagnosis = {
  code: 'target_token_rejected',
  severity: 'error',
  title: 'The learning platform refused the token',
  cause: 'The SCIM service answered 401 Unauthorized.',
  fix: "Generate a new token in the learning platform's SCIM settings and paste it here.",
  link: null,
};

const TOKEN_MISSING: Diagnosis = {
  code: 'target_token_missing',
  severity: 'error',
  title: 'No token is stored for the learning platform',
  cause: 'The connection has a SCIM address but no token.',
  fix: "Paste the token from the learning platform's SCIM settings.",
  link: null,
};

export interface FakeSetupOptions {
  /** Diagnoses each platform check gives, one list per check; the last repeats. Unless given,
   * worked out from the saved token. */
  targetDiagnoses?: Diagnosis[][];
  /** What the folder dialog answers; null as when the admin cancels. */
  chosenFolder?: string | null;
  /** The connections the home screen lists; their targets count as saved, with a token. */
  connections?: ConnectionOverview[];
  /** The mapping saved before; the default unless given. */
  mapping?: MappingSettings;
}

export interface FakeSetupRecord {
  inputChecks: { kind: TargetKind; url: string; token: string }[];
  folderChoices: number;
  targets: { profile: string; choice: TargetChoice }[];
  targetChecks: string[];
  previews: { profile: string; mapping: MappingSettings | null }[];
  mappings: { profile: string; mapping: MappingSettings }[];
}

interface FakePerson {
  id: string;
  displayName: string;
  givenName: string;
  surname: string;
  userPrincipalName: string;
  mail: string | null;
  employeeId: string | null;
  department: string;
  companyName: string;
}

const DOMAIN = 'northwind-academy.example';

function person(id: string, given: string, surname: string, login: string, mail: string | null, employeeId: string | null, department: string): FakePerson {
  return {
    id,
    displayName: `${given} ${surname}`,
    givenName: given,
    surname,
    userPrincipalName: `${login}@${DOMAIN}`,
    mail,
    employeeId,
    department,
    companyName: 'Northwind Academy',
  };
}

export const FAKE_MAPPING_PEOPLE: FakePerson[] = [
  person('p-1', 'José', 'Müller-Łukasiewicz', 'jose.muller', `j.muller-lukasiewicz@${DOMAIN}`, 'E-1001', 'Science'),
  person('p-2', 'Aoife', 'Ní Bhriain', 'aoife.nibhriain', `aoife.nibhriain@${DOMAIN}`, 'E-1002', 'Languages'),
  person('p-3', 'Kwame', 'Mensah', 'kwame.mensah', null, 'E-1003', 'Mathematics'),
  person('p-4', 'Mei', 'Tanaka', 'mei.tanaka', null, null, 'Office'),
  person('p-5', 'Omar', 'Haddad', 'omar.haddad', null, 'E-1005', 'Sport'),
  person('p-6', 'Sofia', 'Rossi', 'sofia.rossi', `sofia.rossi@${DOMAIN}`, null, 'Music'),
];

const SOURCE_WORDS: Record<UsernameSource, string> = { userPrincipalName: 'userPrincipalName', mail: 'mail', employeeId: 'employeeId' };

function mapped(mapping: MappingSettings): MappingPreview {
  const samples: MappingPreview['samples'] = [];
  const unsendable: MappingPreview['unsendable'] = [];
  for (const one of FAKE_MAPPING_PEOPLE) {
    const userName = (mapping.username === 'userPrincipalName' ? one.userPrincipalName : mapping.username === 'mail' ? one.mail : one.employeeId) ?? '';
    if (userName === '') {
      unsendable.push({
        entra_id: one.id,
        display_name: one.displayName,
        user_principal_name: one.userPrincipalName,
        code: 'no_username',
        message: `${one.displayName} has no ${SOURCE_WORDS[mapping.username]} in Entra, so no account is sent.`,
      });
    }
    if (samples.length < 5) {
      const values = [
        { path: 'userName', label: 'User name', value: userName },
        { path: 'name.givenName', label: 'First name', value: one.givenName },
        { path: 'name.familyName', label: 'Last name', value: one.surname },
        { path: 'displayName', label: 'Display name', value: one.displayName },
        { path: 'emails[type eq "work"].value', label: 'Email', value: one.mail ?? one.userPrincipalName },
        { path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', label: 'Department', value: one.department },
      ];
      for (const [source, path] of Object.entries(mapping.custom ?? {})) {
        values.push({ path, label: path, value: String((one as unknown as Record<string, unknown>)[source] ?? '') });
      }
      samples.push({ entra_id: one.id, display_name: one.displayName, user_principal_name: one.userPrincipalName, user_name: userName, values });
    }
  }
  return { mapping: structuredClone(mapping), samples, unsendable, people: FAKE_MAPPING_PEOPLE.length, custom_sources: ['companyName', 'department', 'employeeId'] };
}

function targetProblems(kind: TargetKind, url: string, token: string): TargetFieldProblem[] {
  if (kind !== 'scim') return [];
  const problems: TargetFieldProblem[] = [];
  const address = url.trim();
  if (address !== '') {
    let parsed: URL | null = null;
    try {
      parsed = new URL(address);
    } catch {
      problems.push({ field: 'target_url', message: `"${address}" is not a web address. Enter it in full, for example https://learn.example.com/scim/v2.` });
    }
    if (parsed) {
      const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname.toLowerCase());
      if (parsed.protocol === 'http:' && !loopback) {
        problems.push({ field: 'target_url', message: `${address} uses plain http, which would send the token unprotected. Use the https address.` });
      } else if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
        problems.push({ field: 'target_url', message: `${address} must start with https://.` });
      }
    }
  }
  if (/\s/.test(token)) {
    problems.push({ field: 'target_token', message: 'The token has spaces or line breaks in it. Copy it again, without anything around it.' });
  } else if (/["'“”‘’]/.test(token)) {
    problems.push({ field: 'target_token', message: 'The token has quote marks in it. Paste only the token itself.' });
  }
  return problems;
}

type SetupPart = Pick<
  SyncBackend,
  'demoPlatform' | 'checkTargetInputs' | 'chooseTargetFolder' | 'setTarget' | 'checkTarget' | 'mappingPreview' | 'saveMapping'
>;

function fakeSetup(options: FakeSetupOptions, record: FakeSetupRecord, demo: boolean): SetupPart {
  const saved = new Map<string, { target: TargetSettings; token: string | null }>();
  for (const connection of options.connections ?? []) {
    if (connection.target) saved.set(connection.name, { target: structuredClone(connection.target), token: 'stored-token' });
  }
  const mappings = new Map<string, MappingSettings>();
  let folder: string | null = null;
  return {
    demoPlatform: async () => (demo ? structuredClone(FAKE_DEMO_PLATFORM) : null),
    checkTargetInputs: async (kind, url, token) => {
      record.inputChecks.push({ kind, url, token });
      return targetProblems(kind, url, token);
    },
    chooseTargetFolder: async () => {
      record.folderChoices += 1;
      folder = options.chosenFolder ?? null;
      return folder;
    },
    setTarget: async (profile, choice) => {
      record.targets.push({ profile, choice: structuredClone(choice) });
      const before = saved.get(profile);
      if (choice.kind === 'csv') {
        const path = choice.chosen_folder ? folder : (before?.target.path ?? null);
        if (path === null) throw new BackendError('target_folder', 'Choose the folder the CSV files go to.');
        if (path.includes('read-only')) {
          throw new BackendError('target_folder', `Rollcall cannot write to ${path}. Choose a folder you can save files in.`);
        }
        const target: TargetSettings = { kind: 'csv', path };
        saved.set(profile, { target, token: null });
        return structuredClone(target);
      }
      const url = choice.url ?? '';
      if (url.trim() === '') throw new BackendError('target_url', 'Enter the SCIM base address.');
      const [problem] = targetProblems('scim', url, choice.token ?? '');
      if (problem) throw new BackendError(problem.field, problem.message);
      const target: TargetSettings = { kind: 'scim', url: url.trim() };
      saved.set(profile, { target, token: choice.token ?? before?.token ?? null });
      return structuredClone(target);
    },
    checkTarget: async (profile) => {
      record.targetChecks.push(profile);
      if (options.targetDiagnoses) {
        const index = Math.min(record.targetChecks.length - 1, options.targetDiagnoses.length - 1);
        return structuredClone(options.targetDiagnoses[index] ?? []);
      }
      const current = saved.get(profile);
      if (!current) throw new BackendError('no_target', 'Choose the learning platform first.');
      if (current.target.kind === 'csv') return [];
      if (current.token === null || current.token === '') return [structuredClone(TOKEN_MISSING)];
      return current.token === 'wrong-token' ? [structuredClone(TOKEN_REJECTED)] : [];
    },
    mappingPreview: async (profile, mapping) => {
      record.previews.push({ profile, mapping: mapping === null ? null : structuredClone(mapping) });
      const chosen = mapping ?? mappings.get(profile) ?? options.mapping ?? { username: 'userPrincipalName', custom: {} };
      return mapped(chosen);
    },
    saveMapping: async (profile, mapping) => {
      record.mappings.push({ profile, mapping: structuredClone(mapping) });
      const empty = Object.entries(mapping.custom ?? {}).find(([, path]) => path.trim() === '');
      if (empty) throw new BackendError('mapping', `Enter the SCIM path ${empty[0]} goes to.`);
      mappings.set(profile, structuredClone(mapping));
      return structuredClone(mapping);
    },
  };
}
