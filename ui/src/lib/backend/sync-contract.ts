// The sync screens' side of the engine: the learning platform, the mapping, the home screen's
// overview, the plan and report, history. The shapes are generated from the Rust types into
// `generated.ts`; this file names them for the screens and lists the calls they make.

import type {
  ConnectionOverview,
  DemoPlatform,
  Diagnosis,
  ExportedFile,
  MappingPreview,
  MappingSettings,
  NotifyChoice,
  NotifyFieldProblem,
  NotifySetup,
  PersonMatch,
  PlatformAccount,
  ReadProgress,
  RunSummary,
  SafetySettings,
  ScheduleSettings,
  ScheduleStatus,
  SyncChoice,
  SyncProgress,
  SyncReport,
  TargetChoice,
  TargetFieldProblem,
  TargetKind,
  TargetSettings,
} from './generated';

export type {
  AccountSample,
  EmailSettings,
  EmailWhen,
  NotifyChoice,
  NotifyField,
  NotifyFieldProblem,
  NotifySettings,
  NotifySetup,
  ChangeKind,
  ConnectionOverview,
  Counts,
  DemoPlatform,
  Estimate,
  Hold,
  MappedValue,
  MappingPreview,
  MappingSettings,
  Outcome,
  PersonError,
  PersonMatch,
  Phase,
  PlannedPerson,
  PlatformAccount,
  RunOutcome,
  RegistrationState,
  RunSummary,
  SafetySettings,
  ScheduleSettings,
  ScheduleStatus,
  SyncChoice,
  SyncProgress,
  SyncReport,
  TargetChoice,
  TargetField,
  TargetFieldProblem,
  TargetKind,
  TargetSettings,
  Trigger,
  UnsendablePerson,
  UsernameSource,
  ValueChange,
} from './generated';

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
  /** A past run's report, with the people it touched when they are still kept. */
  runReport(profile: string, run: number): Promise<SyncReport>;
  /** Switches back on what run `run` switched off (dry run: says what it would). */
  undoRun(profile: string, run: number, dryRun: boolean): Promise<SyncReport>;
  /** Writes a run's report as CSV into the data folder; says where. */
  exportReportCsv(profile: string, run: number): Promise<ExportedFile>;
  /** People in the cache whose name or address contains the text (at most 20). */
  findPeople(profile: string, text: string): Promise<PersonMatch[]>;
  /** The account as the platform holds it now. */
  platformAccount(profile: string, person: string): Promise<PlatformAccount | null>;
  /** The connection's schedule: its rule, next run, and what the operating system has registered. */
  scheduleStatus(profile: string): Promise<ScheduleStatus>;
  /** Sets the schedule and registers it with the operating system (refused until a sync by hand worked). */
  setSchedule(profile: string, settings: ScheduleSettings): Promise<ScheduleStatus>;
  /** Turns the schedule off and removes it from the operating system. */
  clearSchedule(profile: string): Promise<ScheduleStatus>;
  /** Who hears about the connection's runs, and whether the mail password is stored. */
  notifySetup(profile: string): Promise<NotifySetup>;
  /** The notifications step checked as typed, field by field (no network). */
  checkNotify(profile: string, choice: NotifyChoice): Promise<NotifyFieldProblem[]>;
  /** Saves the notification settings (a typed password goes to the keychain). */
  saveNotify(profile: string, choice: NotifyChoice): Promise<NotifySetup>;
  /** Sends a test email through the saved settings. */
  sendTestEmail(profile: string): Promise<void>;
}
