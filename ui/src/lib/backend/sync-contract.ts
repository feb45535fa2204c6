// The sync's shapes as the window receives them: the learning platform, the mapping, the
// home screen's overview, the plan and report, history. Written by hand while the engine's
// side is built; once the engine generates them into `generated.ts`, these become aliases.

import type { Diagnosis, ReadProgress } from './generated';

/** Which kind of learning platform a connection writes to. */
export type TargetKind = 'scim' | 'csv';

/** The learning platform as the profile's `[target]` holds it. */
export interface TargetSettings {
  kind: TargetKind;
  /** SCIM: the service provider's base address. */
  url?: string | null;
  /** CSV: the folder the files go to. */
  path?: string | null;
}

/** What the "Learning platform" step sends to be saved. The token goes to the keychain and
 * never comes back; null keeps the token already stored. For CSV, `folder` null means the
 * folder last chosen with `chooseTargetFolder`. */
export interface TargetChoice {
  kind: TargetKind;
  url: string | null;
  token: string | null;
  /** CSV: true to use the folder last chosen in the system dialog. */
  chosen_folder: boolean;
}

/** Which input of the platform step a problem is about. */
export type TargetField = 'target_url' | 'target_token' | 'target_folder';

/** A problem with something typed on the platform step, shown next to its field. */
export interface TargetFieldProblem {
  field: TargetField;
  message: string;
}

/** The demo platform (the sandbox's SCIM service), prefilled in demo mode. */
export interface DemoPlatform {
  url: string;
  token: string;
}

/** The username sources an admin can choose. */
export type UsernameSource = 'userPrincipalName' | 'mail' | 'employeeId';

/** The profile's `[mapping]`. `custom`: Entra property → SCIM path. */
export interface MappingSettings {
  username: UsernameSource;
  custom: Record<string, string>;
}

/** One attribute of an account as the platform would get it. */
export interface MappedValue {
  /** The SCIM path (`name.givenName`, `emails[type eq "work"].value`, …). */
  path: string;
  /** The label an admin reads ("First name"). */
  label: string;
  /** The value, as text. */
  value: string;
}

/** A real person from the cache, shown as the platform would hold them. */
export interface AccountSample {
  entra_id: string;
  display_name: string;
  user_principal_name: string;
  /** The user name they will sign in with (empty when the chosen source is empty). */
  user_name: string;
  values: MappedValue[];
}

/** Someone the chosen mapping cannot send, and why. */
export interface UnsendablePerson {
  entra_id: string;
  display_name: string;
  user_principal_name: string;
  code: string;
  message: string;
}

/** The mapping shown on real people, before anything is written. */
export interface MappingPreview {
  mapping: MappingSettings;
  /** Up to five people from the last read, the first chosen to show unusual characters. */
  samples: AccountSample[];
  /** People in scope the mapping cannot send (empty or shared user name). */
  unsendable: UnsendablePerson[];
  /** People in scope in all. */
  people: number;
  /** The Entra properties that can be mapped to a custom SCIM path. */
  custom_sources: string[];
}

/** How a run was started. */
export type Trigger = 'manual' | 'schedule' | 'undo';

/** The stages of a run, in order. */
export type Phase =
  | 'resolving'
  | 'planning'
  | 'creating'
  | 'updating'
  | 'reactivating'
  | 'managers'
  | 'groups'
  | 'deactivating'
  | 'finishing';

/** How far a run has got. */
export interface SyncProgress {
  phase: Phase;
  done: number;
  total: number;
}

/** Writes per kind. */
export interface Counts {
  create: number;
  adopt: number;
  update: number;
  reactivate: number;
  managers: number;
  groups: number;
  deactivate: number;
}

/** What a run does to one person. */
export type ChangeKind = 'create' | 'adopt' | 'update' | 'reactivate' | 'deactivate';

/** One attribute before and after (null: no value). */
export interface ValueChange {
  path: string;
  label: string;
  before: string | null;
  after: string | null;
}

/** One person in a plan or report. */
export interface PlannedPerson {
  kind: ChangeKind;
  entra_id: string;
  user_name: string;
  display_name: string;
  /** Updates and adoptions: what changes. */
  changes: ValueChange[];
  /** Deactivations: why ("left the groups", "disabled in Entra"); adoptions: how matched. */
  reason: string | null;
  /** `held`: a deactivation the guard held back; `failed`: the platform refused it. */
  outcome: 'planned' | 'done' | 'failed' | 'held' | 'skipped';
}

/** A per-person problem, with what to do. */
export interface PersonError {
  user: string;
  code: string;
  message: string;
}

/** Why deactivations were held back. */
export interface Hold {
  code: string;
  message: string;
  accounts: number;
  /** Whether the admin may lift it for one run (the limits; never an incomplete read). */
  liftable: boolean;
}

/** The time a run is expected to take. */
export interface Estimate {
  requests: number;
  rate: number | null;
  minutes: number | null;
}

/** What a run did, or (dry run) would do. */
export interface SyncReport {
  run: number;
  dry_run: boolean;
  trigger: Trigger;
  only?: string;
  started_at: string;
  finished_at: string;
  elapsed_ms: number;
  plan: Counts;
  applied: Counts;
  unchanged: number;
  errors: PersonError[];
  blocked: Hold[];
  stopped?: string;
  deactivations_skipped?: string;
  estimate: Estimate;
  writes: number;
  problems: { code: string; message: string }[];
  /** Each person the run touches (or would), in plan order. */
  people: PlannedPerson[];
}

/** What the window asks of a sync; always started by hand. */
export interface SyncChoice {
  dry_run: boolean;
  force_deactivations: boolean;
  /** Only this person (object ID or user principal name). */
  only: string | null;
}

/** How a run ended, in one word. */
export type RunOutcome = 'ok' | 'problems' | 'held' | 'stopped' | 'unfinished';

/** One run in the history. */
export interface RunSummary {
  id: number;
  trigger: Trigger;
  dry_run: boolean;
  started_at: string;
  finished_at: string | null;
  elapsed_ms: number;
  applied: Counts;
  errors: number;
  held: number;
  outcome: RunOutcome;
  /** Whether Undo applies (it switched someone off and was not undone). */
  undoable: boolean;
}

/** A connection as the home screen shows it. */
export interface ConnectionOverview {
  name: string;
  enabled: boolean;
  /** Why the profile could not be read, when it could not. */
  broken: string | null;
  tenant: string | null;
  target: TargetSettings | null;
  /** The client secret's expiry (YYYY-MM-DD), when known. */
  secret_expires: string | null;
  /** Days until then (negative once expired). */
  secret_days_left: number | null;
  last_run: RunSummary | null;
  /** The next scheduled sync (ISO time), when a schedule is set. */
  next_run: string | null;
  /** Include groups chosen. */
  groups: number;
  /** Accounts this connection owns on the platform. */
  accounts: number;
}

/** A person found in the cache by name, for "Sync this person". */
export interface PersonMatch {
  id: string;
  display_name: string;
  user_principal_name: string;
}

/** An account as the platform now holds it. */
export interface PlatformAccount {
  id: string;
  user_name: string;
  active: boolean;
  external_id: string | null;
  emails: string[];
}

/** The `[safety]` limits. */
export interface SafetySettings {
  max_deactivations: number;
  max_deactivation_percent: number;
}

/** The part of the Backend the sync screens use. */
export interface SyncBackend {
  /** The demo platform; null outside demo mode. */
  demoPlatform(): Promise<DemoPlatform | null>;
  /** Checks what is typed on the platform step (no network): address shape, token shape. */
  checkTargetInputs(kind: TargetKind, url: string, token: string): Promise<TargetFieldProblem[]>;
  /** Asks for the CSV folder with the system dialog; null when cancelled. */
  chooseTargetFolder(profile: string): Promise<string | null>;
  /** Saves the platform in the profile (and the token in the keychain). */
  setTarget(profile: string, choice: TargetChoice): Promise<TargetSettings>;
  /** Checks the saved platform: address, token, what it supports. Empty when it works. */
  checkTarget(profile: string): Promise<Diagnosis[]>;
  /** The mapping shown on real people from the last read (`mapping` unsaved, to try it). */
  mappingPreview(profile: string, mapping: MappingSettings | null): Promise<MappingPreview>;
  saveMapping(profile: string, mapping: MappingSettings): Promise<MappingSettings>;
  saveSafety(profile: string, safety: SafetySettings): Promise<SafetySettings>;
  safety(profile: string): Promise<SafetySettings>;
  /** Every connection, for the home screen. */
  connections(): Promise<ConnectionOverview[]>;
  /** Plans (dry run) or runs a sync, reporting the read's and the writes' progress. */
  syncNow(
    profile: string,
    choice: SyncChoice,
    onRead: (progress: ReadProgress) => void,
    onProgress: (progress: SyncProgress) => void,
  ): Promise<SyncReport>;
  /** Stops the running read or sync; what was written stays recorded. */
  cancelSync(): Promise<void>;
  history(profile: string): Promise<RunSummary[]>;
  /** A past run's report. */
  runReport(profile: string, run: number): Promise<SyncReport>;
  /** Switches back on what run `run` switched off (dry run: says what it would). */
  undoRun(profile: string, run: number, dryRun: boolean): Promise<SyncReport>;
  /** Writes a run's report as CSV into the data folder; says where. */
  exportReportCsv(profile: string, run: number): Promise<{ path: string; people: number }>;
  /** People in the cache whose name or address contains the text (at most 20). */
  findPeople(profile: string, text: string): Promise<PersonMatch[]>;
  /** The account as the platform holds it now. */
  platformAccount(profile: string, person: string): Promise<PlatformAccount | null>;
}
