// Generated from the Rust types by `ROLLCALL_WRITE_TYPES=1 cargo test -p rollcall bindings`.
// Do not edit: change the Rust type and generate again.

export type AppStatus = { version: string, demo: DemoStatus | null, };

export type DemoStatus = { tenant_name: string, tenant_domain: string, people: number, authority_url: string, };

export type DemoValues = { tenant_id: string, tenant_domain: string, apps: Array<DemoApp>, };

export type DemoApp = { name: string, client_id: string, secret: string, secret_id: string, state: 'healthy' | 'no_consent' | 'partial' | 'expired' | 'disabled', };

export type ErrorCode = "profile_not_found" | "profile_invalid" | "profile_write" | "data_folder" | "keychain" | "secret_invalid" | "cloud" | "connect" | "scope" | "group_not_found" | "graph" | "cache" | "export_path" | "export" | "no_target" | "target" | "ledger" | "no_such_person" | "no_such_run" | "nothing_to_undo" | "disabled" | "stopped" | "target_url" | "target_token" | "target_folder" | "busy" | "schedule" | "first_sync_needed" | "register" | "mail" | "update_unverified" | "update";

export type OpError = { code: ErrorCode, message: string, };

export type ChosenCloud = { id: string, authority_url: string | null, graph_url: string | null, };

export type ConnectionRequest = { cloud: ChosenCloud, tenant: string, client_id: string, secret: string, secret_expires: string | null, };

export type FieldProblem = { 
/**
 * `tenant`, `client_id`, `secret`, or a custom cloud's `authority_url` or `graph_url`.
 */
field: 'tenant' | 'client_id' | 'secret' | 'authority_url' | 'graph_url', message: string, fix: string, };

export type TenantLookup = { 
/**
 * The tenant as Rollcall read what was typed.
 */
entered: string | null, tenant_id: string | null, diagnosis: Diagnosis | null, };

export type PortalLinks = { 
/**
 * Start a new app registration.
 */
new_registration: string, 
/**
 * The app's overview page (or the list of app registrations when the client ID is unknown).
 */
overview: string, 
/**
 * The app's API permissions page, with the "Grant admin consent" button.
 */
api_permissions: string, 
/**
 * The app's Certificates & secrets page.
 */
certificates_secrets: string, 
/**
 * The list of enterprise applications (where a disabled app is turned back on).
 */
enterprise_apps: string, 
/**
 * The tenant overview page, which shows the tenant ID.
 */
tenant_overview: string, };

export type PortalPages = { admin_center: string, admin_consent: string | null, 
/**
 * Start a new app registration.
 */
new_registration: string, 
/**
 * The app's overview page (or the list of app registrations when the client ID is unknown).
 */
overview: string, 
/**
 * The app's API permissions page, with the "Grant admin consent" button.
 */
api_permissions: string, 
/**
 * The app's Certificates & secrets page.
 */
certificates_secrets: string, 
/**
 * The list of enterprise applications (where a disabled app is turned back on).
 */
enterprise_apps: string, 
/**
 * The tenant overview page, which shows the tenant ID.
 */
tenant_overview: string, };

export type PermissionNeed = { permission: string, optional: boolean, enables: string, };

export type SavedConnection = { name: string, };

export type Severity = "info" | "warning" | "error";

export type DiagnosisCode = "tenant_malformed" | "client_id_malformed" | "secret_missing" | "secret_id_sent" | "secret_malformed" | "keychain_unavailable" | "tenant_not_found" | "wrong_cloud" | "secret_wrong" | "secret_expired" | "secret_expiring" | "secret_expiry_unknown" | "app_not_in_tenant" | "app_disabled" | "token_refused" | "admin_consent_missing" | "user_read_missing" | "group_read_missing" | "lifecycle_read_missing" | "graph_forbidden" | "graph_unauthorized" | "graph_not_found" | "graph_throttled" | "service_unavailable" | "network_unreachable" | "tls_failure" | "timed_out" | "unexpected_response" | "target_token_missing" | "target_token_rejected" | "target_forbidden" | "target_not_scim" | "target_no_filter" | "target_unavailable" | "permissions_too_broad";

export type Diagnosis = { 
/**
 * Stable code for scripts.
 */
code: DiagnosisCode, 
/**
 * error, warning or info.
 */
severity: Severity, 
/**
 * One line in plain words.
 */
title: string, 
/**
 * What went wrong, with the details the service gave.
 */
cause: string, 
/**
 * What to do, step by step.
 */
fix: string, 
/**
 * The page where the fix is made, when there is one.
 */
link: string | null, };

export type TenantSummary = { 
/**
 * The tenant ID, once discovery found it.
 */
id: string | null, 
/**
 * The tenant's name as entered (its domain), when known.
 */
name: string | null, 
/**
 * The cloud the connection is set to (`global`, `usgov`, `usgov-dod`, `china`, `custom`).
 */
cloud: string, };

export type PermissionReport = { 
/**
 * Every application permission the token carries.
 */
granted: Array<string>, 
/**
 * Required permissions not granted.
 */
missing: Array<string>, 
/**
 * Optional permissions not granted.
 */
optional_missing: Array<string>, };

export type CheckReport = { 
/**
 * True when nothing stops the connection from working (warnings and notes allowed).
 */
ok: boolean, tenant: TenantSummary, permissions: PermissionReport, 
/**
 * Findings, errors first.
 */
diagnoses: Array<Diagnosis>, 
/**
 * The client secret's expiry date, when known.
 */
secret_expires: string | null, };

export type GroupChoice = { id: string, displayName: string, description: string | null, 
/**
 * Direct members (`/members/$count`), when Graph could count them.
 */
memberCount: number | null, };

export type SavedGroup = { missing: boolean, id: string, displayName: string, description: string | null, 
/**
 * Direct members (`/members/$count`), when Graph could count them.
 */
memberCount: number | null, };

export type ScopeChoice = { include: Array<string>, exclude: Array<string>, nested: boolean, guests: boolean, };

export type SavedScope = { include: Array<SavedGroup>, exclude: Array<SavedGroup>, nested: boolean, guests: boolean, };

export type ReadProgress = { 
/**
 * What is being read now, in words ("Reading members of Staff").
 */
stage: string, 
/**
 * Pages of results received so far.
 */
pages: number, 
/**
 * HTTP requests sent so far (retries included).
 */
requests: number, 
/**
 * People read so far.
 */
users: number, 
/**
 * Milliseconds since the read began.
 */
elapsed_ms: number, 
/**
 * Requests the whole read is expected to take (what the last such read took), when
 * known.
 */
expected_requests: number | null, 
/**
 * Estimated milliseconds until the read finishes, when there is a yardstick for it.
 */
time_left_ms: number | null, };

export type Warning = "no_mail" | "duplicate_mail" | "duplicate_username" | "upn_differs_from_mail" | "manager_outside_scope" | "no_username";

export type UserKind = "member" | "guest";

export type PreviewUser = { id: string, userPrincipalName: string, mail: string | null, displayName: string, enabled: boolean, kind: UserKind, 
/**
 * Group names from a scope group down to the group holding the person; one list per
 * way they were reached.
 */
paths: Array<Array<string>>, warnings: Array<Warning>, 
/**
 * The user name the learning platform will get; empty when its source is empty (then
 * nobody is sent, see `no_username`).
 */
username: string, 
/**
 * The email address the learning platform will get (after any fallback).
 */
email: string, managerId: string | null, department: string | null, };

export type Totals = { matched: number, enabled: number, disabled: number, guests: number, 
/**
 * People per warning code (codes with nobody are left out).
 */
warnings: { [key in string]: number }, 
/**
 * Reached through an include group but kept out by an exclude group.
 */
excluded: number, 
/**
 * Guests reached but left out because the profile leaves guests out.
 */
guests_left_out: number, };

export type ReadProblem = { code: string, message: string, };

export type Preview = { 
/**
 * False when the last read did not finish (the people shown come from an older read,
 * or there is none).
 */
complete: boolean, users: Array<PreviewUser>, totals: Totals, 
/**
 * Group members that are not people (devices, service principals, contacts), by kind;
 * they never get an account.
 */
skipped: { [key in string]: number }, 
/**
 * Problems with the scope (a group that does not exist, an empty group).
 */
problems: Array<ReadProblem>, 
/**
 * Why the last read did not finish, when it did not.
 */
readError?: string, 
/**
 * When the snapshot shown was read.
 */
readAt?: string, };

export type ExportedFile = { path: string, people: number, };

export type DemoPlatform = { url: string, token: string, };

export type TargetKind = "scim" | "csv";

export type TargetSettings = { kind: TargetKind, 
/**
 * SCIM only: the service provider's base address.
 */
url?: string | null, 
/**
 * CSV only: the folder the files are written to.
 */
path?: string | null, };

export type TargetChoice = { kind: TargetKind, url: string | null, token: string | null, 
/**
 * CSV: use the folder last chosen in the system dialog.
 */
chosen_folder: boolean, };

export type TargetField = "target_url" | "target_token" | "target_folder";

export type TargetFieldProblem = { field: TargetField, message: string, };

export type UsernameSource = "userPrincipalName" | "mail" | "employeeId";

export type MappingSettings = { username: UsernameSource, 
/**
 * `[mapping.custom]`: further Entra properties (employeeId, officeLocation, mobilePhone,
 * companyName, employeeHireDate, extensionAttribute1–15) → the SCIM path each goes to.
 */
custom?: { [key in string]: string }, };

export type SafetySettings = { 
/**
 * A sync stops before deactivating more than this many people.
 */
max_deactivations: number, 
/**
 * A sync stops before deactivating more than this share (0–100) of the platform's users.
 */
max_deactivation_percent: number, };

export type MappedValue = { path: string, label: string, value: string, };

export type AccountSample = { entra_id: string, display_name: string, user_principal_name: string, user_name: string, values: Array<MappedValue>, };

export type UnsendablePerson = { entra_id: string, display_name: string, user_principal_name: string, code: string, message: string, };

export type MappingPreview = { mapping: MappingSettings, 
/**
 * Up to five people; the first has letters outside plain ASCII when anyone does, so
 * the admin sees how such names come out.
 */
samples: Array<AccountSample>, unsendable: Array<UnsendablePerson>, 
/**
 * People in scope.
 */
people: number, 
/**
 * The Entra properties a custom field can come from.
 */
custom_sources: Array<string>, };

export type Trigger = "manual" | "schedule" | "undo";

export type Phase = "resolving" | "planning" | "creating" | "updating" | "reactivating" | "managers" | "groups" | "deactivating" | "finishing";

export type SyncProgress = { phase: Phase, done: number, total: number, };

export type Counts = { create: number, adopt: number, update: number, reactivate: number, managers: number, groups: number, deactivate: number, };

export type ChangeKind = "create" | "adopt" | "update" | "reactivate" | "deactivate";

export type Outcome = "planned" | "done" | "failed" | "held" | "skipped";

export type ValueChange = { path: string, 
/**
 * The name an admin reads ("First name").
 */
label: string, before: string | null, after: string | null, };

export type PlannedPerson = { kind: ChangeKind, entra_id: string, user_name: string, display_name: string, 
/**
 * Updates and adoptions: what changes.
 */
changes: Array<ValueChange>, 
/**
 * Deactivations: why; adoptions: how the account was matched.
 */
reason: string | null, outcome: Outcome, };

export type PersonError = { 
/**
 * The user name (or group name).
 */
user: string, code: string, message: string, };

export type Hold = { code: string, message: string, 
/**
 * How many deactivations it held back.
 */
accounts: number, 
/**
 * Whether the admin may lift it for one run (a limit; never a read that did not finish).
 */
liftable: boolean, };

export type Estimate = { 
/**
 * Writes the plan needs.
 */
requests: number, 
/**
 * Writes a second measured on earlier runs, when there were any.
 */
rate: number | null, 
/**
 * Minutes, when a rate is known.
 */
minutes: number | null, };

export type MatchedBy = "external_id" | "user_name" | "email";

export type AdoptedAccount = { user: string, matchedBy: MatchedBy, };

export type PlannedDeactivation = { user: string, reason: string, };

export type DeactivatedAccount = { 
/**
 * The user name on the platform.
 */
user: string, entraId: string, targetId: string, 
/**
 * Why, in words: "no longer in scope", "disabled in Entra", "left on 2026-05-31".
 */
reason: string, };

export type Resolution = { 
/**
 * Creates that had reached the platform and are now owned.
 */
found: number, 
/**
 * Intents that never reached the platform (planned again).
 */
not_applied: number, 
/**
 * Problems worth telling the admin (duplicates found on the platform).
 */
problems: Array<[string, string]>, };

export type SyncReport = { run: number, dry_run: boolean, trigger: Trigger, only?: string, started_at: string, finished_at: string, elapsed_ms: number, 
/**
 * What the plan holds.
 */
plan: Counts, 
/**
 * What the platform confirmed.
 */
applied: Counts, 
/**
 * Owned accounts already as wanted.
 */
unchanged: number, errors: Array<PersonError>, 
/**
 * Why deactivations were held back, one sentence each.
 */
blocked: Array<Hold>, 
/**
 * Why the run stopped early, when it did.
 */
stopped?: string, 
/**
 * Why deactivations were skipped after earlier failures.
 */
deactivations_skipped?: string, 
/**
 * Accounts this run switched off (what `undo` switches back on).
 */
deactivated: Array<DeactivatedAccount>, 
/**
 * Deactivations planned but not made (dry run, held, skipped).
 */
not_deactivated: Array<PlannedDeactivation>, adopted: Array<AdoptedAccount>, 
/**
 * Writes an earlier, interrupted run had made, found on the platform.
 */
resolved: Resolution, estimate: Estimate, 
/**
 * Requests sent to the platform.
 */
writes: number, 
/**
 * Problems with the scope (from the read) and the platform's data.
 */
problems: Array<ReadProblem>, 
/**
 * Each person the run touches, when asked for (`SyncOptions::list_people`); kept in
 * the history apart from the report, for the last runs.
 */
people: Array<PlannedPerson>, };

export type SyncChoice = { dry_run: boolean, force_deactivations: boolean, only: string | null, };

export type RunOutcome = "ok" | "problems" | "held" | "stopped" | "unfinished" | "skipped" | "failed";

export type RunSummary = { id: number, trigger: Trigger, dry_run: boolean, started_at: string, finished_at: string | null, elapsed_ms: number, 
/**
 * What the platform confirmed.
 */
applied: Counts, 
/**
 * People the run could not write.
 */
errors: number, 
/**
 * Deactivations the guard held back.
 */
held: number, outcome: RunOutcome, 
/**
 * Whether Undo applies: the run switched someone off.
 */
undoable: boolean, 
/**
 * Why the run did not happen, when it was skipped.
 */
skipped: string | null, 
/**
 * Why the run could not start, when it could not.
 */
failed: string | null, };

export type ConnectionOverview = { name: string, enabled: boolean, 
/**
 * Why the profile could not be read, when it could not.
 */
broken: string | null, tenant: string | null, target: TargetSettings | null, 
/**
 * The client secret's expiry (YYYY-MM-DD), when known.
 */
secret_expires: string | null, 
/**
 * Days until then (negative once expired).
 */
secret_days_left: number | null, last_run: RunSummary | null, 
/**
 * The next scheduled sync, when a schedule is set.
 */
next_run: string | null, 
/**
 * Include groups chosen.
 */
groups: number, 
/**
 * Accounts this connection owns on the platform.
 */
accounts: number, };

export type PersonMatch = { id: string, display_name: string, user_principal_name: string, };

export type PlatformAccount = { id: string, user_name: string, active: boolean, external_id: string | null, emails: Array<string>, };

export type ScheduleSettings = { 
/**
 * An interval: "90m", "2h", "1h30m" (at least 5 minutes, at most 7 days).
 */
every?: string | null, 
/**
 * A time of day, 24-hour: "02:00".
 */
daily?: string | null, 
/**
 * A time on Monday to Friday, 24-hour: "07:30".
 */
weekdays?: string | null, 
/**
 * An IANA time zone name ("Europe/London"); this computer's zone when absent.
 */
time_zone?: string | null, 
/**
 * Another connection this one runs after (its run waits while that one is running).
 */
after?: string | null, };

export type RegistrationState = "not_scheduled" | "matches" | "differs" | "missing" | "stray" | "unknown";

export type ScheduleStatus = { name: string, 
/**
 * A sync by hand has worked, so a schedule may be set.
 */
sync_by_hand_worked: boolean, 
/**
 * The rule in words ("every 1h30m"), when there is a schedule.
 */
rule: string | null, 
/**
 * The `[schedule]` table as saved.
 */
settings: ScheduleSettings | null, 
/**
 * The time zone its times are read in (the computer's when the profile names none).
 */
time_zone: string | null, after: string | null, 
/**
 * Whether the profile lets scheduled runs sync.
 */
enabled: boolean, 
/**
 * When it runs next (UTC, RFC 3339).
 */
next_run: string | null, 
/**
 * The same, in the schedule's time zone, as the admin reads it.
 */
next_run_local: string | null, 
/**
 * When it last ran (UTC, RFC 3339).
 */
last_run: string | null, 
/**
 * A run of this connection is going on now.
 */
running: boolean, 
/**
 * The operating system's scheduler: "systemd", "launchd" or "task-scheduler" ("folder"
 * in demo mode, which keeps what it would register in its data folder).
 */
scheduler: string, registered: RegistrationState, 
/**
 * The files the operating system has for it (unit files, agent, task), by name.
 */
registered_files: Array<string>, 
/**
 * What stops the schedule from working, in words, when something does.
 */
problem: string | null, };

export type EmailWhen = "problems" | "every_run";

export type EmailSettings = { 
/**
 * Who gets the report.
 */
to: Array<string>, 
/**
 * The sender's address.
 */
from: string, 
/**
 * The mail server's host name.
 */
server: string, 
/**
 * Its submission port (587 unless the mail provider says otherwise).
 */
port: number, 
/**
 * The user name to sign in to the mail server with; none for a server that takes mail
 * without signing in.
 */
user?: string | null, 
/**
 * Which runs are reported: `problems` (the default) or `every_run`.
 */
when: EmailWhen, };

export type NotifySettings = { 
/**
 * A desktop notification when a run fails, holds deactivations back or does not start,
 * and before the client secret expires.
 */
desktop: boolean, email?: EmailSettings | null, };

export type NotifySetup = { settings: NotifySettings, password_stored: boolean, };

export type NotifyChoice = { settings: NotifySettings, password: string | null, };

export type NotifyField = "to" | "from" | "server" | "port" | "user" | "password";

export type NotifyFieldProblem = { field: NotifyField, message: string, };

export type UpdateCheck = { "kind": "up_to_date" } | { "kind": "available", version: string, date: string | null, notes: string, } | { "kind": "unreachable", message: string, } | { "kind": "not_checked" };

export type UpdateInstalled = { "kind": "installed", version: string, } | { "kind": "verified", version: string, message: string, };

export type UpdateProgress = { downloaded: number, total: number | null, };
