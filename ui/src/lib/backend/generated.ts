// Generated from the Rust types by `ROLLCALL_WRITE_TYPES=1 cargo test -p rollcall bindings`.
// Do not edit: change the Rust type and generate again.

export type AppStatus = { version: string, demo: DemoStatus | null, };

export type DemoStatus = { tenant_name: string, tenant_domain: string, people: number, authority_url: string, };

export type DemoValues = { tenant_id: string, tenant_domain: string, apps: Array<DemoApp>, };

export type DemoApp = { name: string, client_id: string, secret: string, secret_id: string, state: 'healthy' | 'no_consent' | 'partial' | 'expired' | 'disabled', };

export type ErrorCode = "profile_not_found" | "profile_invalid" | "profile_write" | "data_folder" | "keychain" | "secret_invalid" | "cloud" | "connect" | "scope" | "group_not_found" | "graph" | "cache" | "export_path" | "export" | "no_target" | "target" | "ledger" | "no_such_person" | "no_such_run" | "nothing_to_undo" | "disabled" | "stopped" | "busy" | "schedule" | "first_sync_needed" | "register";

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
