// Sync now as an admin meets it: the plan of 100,000 people (filters, search), the run with its
// progress and Cancel, the report in plain words with CSV export, held switch-offs and the
// typed confirmation that lifts them, the first sync's one-person try, and a busy connection.
// Mounted against the fake backend.
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { describe, expect, it, vi } from 'vitest';

import { BackendError, type SyncReport } from '../lib/backend/backend';
import {
  countPeople,
  createFakeBackend,
  fakeConnection,
  fakePlannedPeople,
  fakeSyncReport,
  type FakeSyncOptions,
} from '../lib/backend/fake';
import { tauriBackend } from '../lib/backend/tauri';
import PlanList from '../lib/sync/PlanList.svelte';
import SyncFlow from '../routes/home/SyncFlow.svelte';
import { all, byTestId, click, has, settle, show, text, type } from './page';

function openSync(sync: FakeSyncOptions = {}, lastRun: 'synced' | 'never' = 'synced') {
  const backend = createFakeBackend({ sync });
  const connection = fakeConnection(lastRun === 'never' ? { last_run: null } : {});
  const home = vi.fn();
  const page = show(SyncFlow, { backend, connection, onHome: home, debounceMs: 200 });
  return { backend, page, home };
}

describe('plan list of 100,000 people', () => {
  const people = fakePlannedPeople(100_000);
  const counts = countPeople(people);

  it('draws only the rows in view and counts each kind, linked accounts with the new ones', () => {
    const page = show(PlanList, { people, counts });
    expect(all(page, 'plan-row').length).toBeLessThan(40);
    expect(text(page, 'plan-shown')).toBe('Showing 100,000 of 100,000');
    expect(text(page, 'plan-count-create')).toBe('50,000');
    expect(text(page, 'plan-count-update')).toBe('30,000');
    expect(text(page, 'plan-count-reactivate')).toBe('5,000');
    expect(text(page, 'plan-count-deactivate')).toBe('15,000');
    const kinds = all(page, 'plan-row').map((row) => text(row, 'plan-kind'));
    expect(kinds).toContain('Link existing account');
  });

  it('filters by kind: updates show before → after, switch-offs their reason', () => {
    const page = show(PlanList, { people, counts });
    click(page, 'plan-filter-update');
    expect(text(page, 'plan-shown')).toBe('Showing 30,000 of 100,000');
    const rows = all(page, 'plan-row');
    expect(rows.every((row) => row.dataset.kind === 'update')).toBe(true);
    expect(text(rows[0], 'plan-detail')).toContain('Job title: Teacher → Head of Year');
    expect(text(rows[0], 'plan-detail')).toContain('Email: (none) → person');

    click(page, 'plan-filter-deactivate');
    const off = all(page, 'plan-row');
    expect(off.every((row) => row.dataset.kind === 'deactivate')).toBe(true);
    expect(text(off[0], 'plan-detail')).toBe('disabled in Entra');
    expect(text(off[1], 'plan-detail')).toBe('left the groups');

    click(page, 'plan-filter-deactivate');
    expect(text(page, 'plan-shown')).toBe('Showing 100,000 of 100,000');
  });

  it('searches by name within the chosen kind', () => {
    const page = show(PlanList, { people, counts });
    type(page, 'plan-search', 'Person 12345 Okafor');
    expect(text(page, 'plan-shown')).toBe('Showing 1 of 100,000');
    expect(text(byTestId(page, 'plan-row'), 'plan-kind')).toBe('New account');
    click(page, 'plan-filter-deactivate');
    expect(has(page, 'plan-row')).toBe(false);
    expect(has(page, 'plan-empty')).toBe(true);
  });
});

describe('what will change', () => {
  it('reads Entra with progress, then shows the plan with its estimate and who cannot be sent', async () => {
    const plan = fakeSyncReport({
      count: 200,
      estimate: { requests: 200, rate: 1.1, minutes: 3 },
      errors: [
        { user: 'nomail@northwind-academy.example', code: 'no_username', message: 'userName is empty' },
        { user: 'odd@northwind-academy.example', code: 'strange_new_code', message: 'The platform said something new.' },
      ],
    });
    const { backend, page } = openSync({
      plan,
      readProgress: [{ stage: 'Reading members of All Staff', pages: 2, requests: 3, users: 120, elapsed_ms: 900, expected_requests: null, time_left_ms: null }],
      holdPlans: true,
    });
    await settle();
    expect(text(page, 'read-progress')).toContain('Reading members of All Staff');
    expect(text(page, 'read-progress-counts')).toContain('120 people read');
    backend.sync.finishSync();
    await settle();
    expect(backend.sync.record.syncs).toEqual([{ profile: 'northwind', choice: { dry_run: true, force_deactivations: false, only: null } }]);
    expect(text(page, 'plan-counts-create')).toBe('100');
    expect(text(page, 'plan-counts-adopt')).toBe('20 link existing account');
    expect(text(page, 'plan-counts-deactivate')).toBe('30');
    expect(text(page, 'plan-estimate')).toBe('This takes about 3 minutes.');
    const problems = all(page, 'person-problem').map((item) => item.textContent ?? '');
    expect(problems[0]).toContain('no user name to sign in with');
    expect(problems[1]).toContain('The platform said something new.');
    expect(byTestId(page, 'sync-run').className).toContain('primary');
  });

  it('does not guess a time when no earlier run says how long, and says "a few seconds" when small', async () => {
    const { page } = openSync({ plan: fakeSyncReport({ estimate: { requests: 20, rate: null, minutes: null } }) });
    await settle();
    expect(has(page, 'plan-estimate')).toBe(false);

    document.body.innerHTML = '';
    const small = openSync({ plan: fakeSyncReport({ estimate: { requests: 20, rate: 50, minutes: 0.01 } }) });
    await settle();
    expect(text(small.page, 'plan-estimate')).toBe('This takes a few seconds.');
  });

  it('says in place when another sync of the connection is running', async () => {
    const { page } = openSync({ errors: { syncNow: new BackendError('busy', 'busy: profile northwind') } });
    await settle();
    expect(text(page, 'sync-problem')).toBe('A sync of this connection is already running. Wait for it to finish.');
  });

  it('syncs one person from their row', async () => {
    const { backend, page } = openSync();
    await settle();
    const row = all(page, 'plan-row')[0];
    byTestId(row, 'sync-person').click();
    await settle();
    expect(backend.sync.record.syncs[1]).toEqual({ profile: 'northwind', choice: { dry_run: false, force_deactivations: false, only: 'u-0' } });
    expect(text(page, 'person-status')).toBe('Person 0 Ahmed is synced.');
  });
});

describe('the run', () => {
  it('shows the phase, people done, the time left from the rate so far, and stops on Cancel', async () => {
    const now = vi.spyOn(Date, 'now').mockReturnValue(1_000_000);
    const { backend, page } = openSync({ holdRuns: true });
    await settle();
    click(page, 'sync-run');
    await settle();
    backend.sync.progress({ phase: 'creating', done: 10, total: 100 });
    await settle();
    expect(text(page, 'run-phase')).toBe('Creating accounts');
    expect(text(page, 'run-done')).toBe('10 of 100 people');
    expect(text(page, 'run-time-left')).toBe('Working out the time left…');
    now.mockReturnValue(1_010_000);
    backend.sync.progress({ phase: 'creating', done: 20, total: 100 });
    await settle();
    // 10 people in 10 seconds: 80 to go take 80 seconds.
    expect(text(page, 'run-time-left')).toBe('About a minute left');

    click(page, 'run-cancel');
    expect(text(page, 'run-stopping')).toBe('Stopping… what was written is kept, the next sync carries on.');
    await settle();
    expect(backend.sync.record.cancels).toBe(1);
    expect(text(page, 'report-stopped')).toContain('What was written is kept; the next sync carries on.');
  });

  it('reports what changed, each problem in words, exports as CSV and goes back home', async () => {
    const result: SyncReport = fakeSyncReport({
      run: 9,
      dry_run: false,
      errors: [
        { user: 'dup@northwind-academy.example', code: 'duplicate_username', message: 'two people share dup' },
        { user: 'x@northwind-academy.example', code: 'unheard_of', message: 'SCIM 400: invalidValue on title' },
      ],
    });
    const { backend, page, home } = openSync({ result });
    await settle();
    click(page, 'sync-run');
    await settle();
    expect(text(page, 'report-counts-create')).toBe('10');
    expect(text(page, 'report-counts-update')).toBe('6');
    const problems = all(page, 'person-problem').map((item) => item.textContent ?? '');
    expect(problems[0]).toContain('Someone else has the same user name');
    expect(problems[1]).toContain('SCIM 400: invalidValue on title');
    click(page, 'report-export');
    await settle();
    expect(backend.sync.record.csvExports).toEqual([{ profile: 'northwind', run: 9 }]);
    expect(text(page, 'report-exported')).toBe('Saved 20 people to exports/northwind-run-9.csv');
    click(page, 'sync-home');
    expect(home).toHaveBeenCalled();
  });
});

describe('held switch-offs', () => {
  const heldPlan = (liftable: boolean) =>
    fakeSyncReport({
      count: 200,
      blocked: [{ code: liftable ? 'max_percent' : 'incomplete_read', message: liftable ? 'This would switch off 64% of accounts.' : 'The directory was not read to the end.', accounts: 30, liftable }],
    });

  it('says why, lets the admin review the people, and allows them only after the number is typed', async () => {
    const { backend, page } = openSync({ plan: heldPlan(true) });
    await settle();
    expect(text(page, 'hold-max_percent')).toBe('This would switch off 64% of accounts.');
    click(page, 'hold-review');
    expect(all(page, 'plan-row').every((row) => row.dataset.kind === 'deactivate')).toBe(true);
    expect(text(page, 'plan-shown')).toBe('Showing 30 of 200');

    click(page, 'hold-allow');
    const ok = byTestId<HTMLButtonElement>(page, 'allow-dialog-ok');
    expect(ok.disabled).toBe(true);
    type(page, 'allow-dialog-typed', '3');
    expect(ok.disabled).toBe(true);
    type(page, 'allow-dialog-typed', '300');
    expect(ok.disabled).toBe(true);
    expect(backend.sync.record.syncs.some((call) => call.choice.force_deactivations)).toBe(false);
    type(page, 'allow-dialog-typed', '30');
    expect(ok.disabled).toBe(false);
    click(page, 'allow-dialog-ok');
    await settle();
    expect(backend.sync.record.syncs.at(-1)).toEqual({ profile: 'northwind', choice: { dry_run: false, force_deactivations: true, only: null } });
    expect(has(page, 'report')).toBe(true);
  });

  it('offers no override when the read was incomplete', async () => {
    const { page } = openSync({ plan: heldPlan(false) });
    await settle();
    expect(text(page, 'hold-incomplete_read')).toBe('The directory was not read to the end.');
    expect(has(page, 'hold-not-liftable')).toBe(true);
    expect(has(page, 'hold-allow')).toBe(false);
  });
});

describe('first sync', () => {
  it('tries one person first and shows their account as the platform holds it', async () => {
    vi.useFakeTimers();
    const { backend, page } = openSync(
      { accounts: { 'u-2': { id: 'scim-2', user_name: 'amir.ahmed@northwind-academy.example', active: true, external_id: 'u-2', emails: ['amir.ahmed@northwind-academy.example'] } } },
      'never',
    );
    expect(has(page, 'first-sync')).toBe(true);
    expect(backend.sync.record.syncs).toEqual([]);
    type(page, 'first-search', 'a');
    type(page, 'first-search', 'am');
    type(page, 'first-search', 'amir');
    await vi.advanceTimersByTimeAsync(250);
    await settle();
    expect(backend.sync.record.finds).toEqual([{ profile: 'northwind', text: 'amir' }]);
    click(page, 'first-pick');
    await settle();
    expect(backend.sync.record.syncs).toEqual([{ profile: 'northwind', choice: { dry_run: false, force_deactivations: false, only: 'u-2' } }]);
    expect(text(page, 'first-account-username')).toBe('amir.ahmed@northwind-academy.example');
    expect(text(page, 'first-account-active')).toBe('Active');
    expect(text(page, 'first-account-emails')).toBe('amir.ahmed@northwind-academy.example');
    click(page, 'first-everyone');
    await settle();
    expect(backend.sync.record.syncs[1].choice).toEqual({ dry_run: true, force_deactivations: false, only: null });
    expect(has(page, 'plan-list')).toBe(true);
  });

  it('can be skipped to sync everyone', async () => {
    const { backend, page } = openSync({}, 'never');
    click(page, 'first-skip');
    await settle();
    expect(backend.sync.record.syncs.map((call) => call.choice.dry_run)).toEqual([true]);
    expect(has(page, 'sync-run')).toBe(true);
  });
});

describe('tauri backend for the sync', () => {
  it('calls the shell commands with camelCase argument names', async () => {
    const calls: { command: string; args: unknown }[] = [];
    mockIPC((command, args) => {
      calls.push({ command, args });
      return command === 'export_report_csv' ? { path: 'x.csv', people: 1 } : [];
    });
    await tauriBackend.history('northwind');
    await tauriBackend.undoRun('northwind', 4, true);
    await tauriBackend.exportReportCsv('northwind', 4);
    await tauriBackend.checkTargetInputs('scim', 'https://lms.example', 'token');
    await tauriBackend.cancelSync();
    expect(calls).toEqual([
      { command: 'sync_history', args: { profile: 'northwind' } },
      { command: 'undo_run', args: { profile: 'northwind', run: 4, dryRun: true } },
      { command: 'export_report_csv', args: { profile: 'northwind', run: 4 } },
      { command: 'check_target_inputs', args: { kind: 'scim', url: 'https://lms.example', token: 'token' } },
      { command: 'cancel_read', args: {} },
    ]);
    clearMocks();
  });
});
