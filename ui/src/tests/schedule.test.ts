// The schedule on a connection's home page, as an admin meets it: off with one next step
// before a sync by hand has worked; the three kinds of rule with what is wrong shown under the
// field; saved with the next sync and what the operating system has registered in words; a
// registration the computer refused (at start-up or on saving) said where it happened, with the
// one button that puts it right; turned off. Mounted against the fake backend.
import { describe, expect, it } from 'vitest';

import { BackendError } from '../lib/backend/backend';
import { createFakeBackend, fakeConnection, fakeScheduleStatus, type FakeSyncOptions } from '../lib/backend/fake';
import { formFrom, nextRunWords, settingsFrom } from '../lib/sync/schedule';
import Home from '../routes/home/Home.svelte';
import { byTestId, click, has, settle, show, text, type } from './page';

async function openHome(sync: FakeSyncOptions) {
  const backend = createFakeBackend({ sync });
  let refreshes = 0;
  const page = show(Home, {
    backend,
    connections: sync.connections ?? [fakeConnection()],
    onSetUp: () => {},
    onEdit: () => {},
    onRefresh: () => (refreshes += 1),
  });
  await settle();
  return { backend, page, refreshes: () => refreshes };
}

function choose(page: HTMLElement, id: string, value: string): void {
  const select = byTestId<HTMLSelectElement>(page, id);
  select.value = value;
  select.dispatchEvent(new Event('change', { bubbles: true }));
}

const SAVED_DAILY = fakeScheduleStatus({
  settings: { daily: '02:00' },
  rule: 'daily at 02:00',
  next_run: '2026-12-03T02:00:00.000Z',
  next_run_local: 'Thu 3 Dec 2026, 02:00 GMT',
  registered: 'matches',
});

describe('before a sync by hand has worked', () => {
  it('says why the schedule is off and leads to Sync now, with nothing else to fill in', async () => {
    const { page } = await openHome({ schedule: fakeScheduleStatus({ sync_by_hand_worked: false }) });
    expect(text(page, 'schedule-first-sync')).toContain('Scheduled syncs are off until a sync you start by hand has worked');
    expect(has(page, 'schedule-form')).toBe(false);
    expect(has(page, 'schedule-save')).toBe(false);
    click(page, 'schedule-sync-first');
    await settle();
    expect(has(page, 'sync-flow')).toBe(true);
  });

  it('shows the engine refusing for a missing first sync by Save, with the way to Sync now', async () => {
    const { page } = await openHome({
      errors: { setSchedule: new BackendError('first_sync_needed', '"northwind" has not had a sync by hand that worked yet.') },
    });
    click(page, 'schedule-save');
    await settle();
    expect(text(page, 'schedule-first-sync-needed')).toContain('Do a sync by hand first');
    click(page, 'schedule-sync-first');
    await settle();
    expect(has(page, 'sync-flow')).toBe(true);
  });
});

describe('what is typed', () => {
  it('is checked under the chosen field: zero, too often, too long, not a time, a time that does not exist', async () => {
    const { backend, page } = await openHome({});
    expect(text(page, 'schedule-summary')).toContain('No schedule');
    const save = byTestId<HTMLButtonElement>(page, 'schedule-save');
    expect(save.disabled).toBe(false);

    click(page, 'schedule-kind-every');
    type(page, 'schedule-every-amount', '0');
    expect(text(page, 'schedule-every-problem')).toContain('Every 0 minutes would never wait between syncs');
    expect(text(page, 'schedule-every-problem')).toContain('5 minutes or more');
    expect(save.disabled).toBe(true);
    type(page, 'schedule-every-amount', '3');
    expect(text(page, 'schedule-every-problem')).toContain('too often');
    type(page, 'schedule-every-amount', '200');
    choose(page, 'schedule-every-unit', 'hours');
    await settle();
    expect(text(page, 'schedule-every-problem')).toContain('longer than a week');
    type(page, 'schedule-every-amount', 'soon');
    expect(text(page, 'schedule-every-problem')).toContain('not a whole number');

    // Another kind chosen: only its own field counts.
    click(page, 'schedule-kind-daily');
    expect(has(page, 'schedule-every-problem')).toBe(false);
    type(page, 'schedule-daily-time', '25:00');
    expect(text(page, 'schedule-daily-problem')).toContain('25:00 does not exist on a clock');
    expect(save.disabled).toBe(true);
    type(page, 'schedule-daily-time', '7.30pm');
    expect(text(page, 'schedule-daily-problem')).toContain('not a time of day');
    expect(text(page, 'schedule-daily-problem')).toContain('HH:MM');
    type(page, 'schedule-daily-time', '7:30');
    expect(has(page, 'schedule-daily-problem')).toBe(false);
    click(page, 'schedule-save');
    await settle();
    expect(backend.sync.record.schedulesSet).toEqual([{ profile: 'northwind', settings: { daily: '07:30' } }]);
  });

  it('shows an interval the engine refuses under the interval field', async () => {
    const { page } = await openHome({
      errors: { setSchedule: new BackendError('schedule', 'every = "90m" is too often: a schedule runs at most every 5 minutes.') },
    });
    click(page, 'schedule-kind-every');
    click(page, 'schedule-save');
    await settle();
    expect(text(page, 'schedule-every-problem')).toContain('too often');
    expect(has(page, 'schedule-daily-problem')).toBe(false);
  });
});

describe('a saved schedule', () => {
  it('turns on every day at 02:00, with the next sync and where it is registered in words', async () => {
    const { backend, page, refreshes } = await openHome({});
    click(page, 'schedule-kind-daily');
    type(page, 'schedule-daily-time', '02:00');
    click(page, 'schedule-save');
    await settle();
    expect(backend.sync.record.schedulesSet).toEqual([{ profile: 'northwind', settings: { daily: '02:00' } }]);
    expect(text(page, 'schedule-summary')).toBe('Syncs every day at 02:00.');
    expect(has(page, 'schedule-next')).toBe(true);
    expect(byTestId(page, 'schedule-registration').dataset.state).toBe('matches');
    expect(text(page, 'schedule-registration')).toBe('Registered with the systemd user timer, so it runs even when Rollcall is closed.');
    expect(text(page, 'schedule-saved')).toContain('Saved. The next sync is');
    expect(refreshes()).toBe(1);
    expect(text(page, 'schedule-save')).toBe('Save schedule');
  });

  it('every 2 hours, after another connection', async () => {
    const { backend, page } = await openHome({ connections: [fakeConnection(), fakeConnection({ name: 'staff' })] });
    // Two connections: the list first.
    (page.querySelector('[data-testid="connection-entry"]') as HTMLElement).click();
    await settle();
    click(page, 'schedule-kind-every');
    type(page, 'schedule-every-amount', '2');
    choose(page, 'schedule-every-unit', 'hours');
    choose(page, 'schedule-after', 'staff');
    await settle();
    expect(byTestId(page, 'schedule-after').textContent).toContain('Wait for “staff” to finish first');
    click(page, 'schedule-save');
    await settle();
    expect(backend.sync.record.schedulesSet).toEqual([{ profile: 'northwind', settings: { every: '120m', after: 'staff' } }]);
    expect(text(page, 'schedule-summary')).toBe('Syncs every 2 hours, once “staff” has finished.');
  });

  it('says Windows Task Scheduler by the name Windows gives it', async () => {
    const { page } = await openHome({ schedule: { ...SAVED_DAILY, scheduler: 'task-scheduler' } });
    expect(text(page, 'schedule-registration')).toBe('Registered with Windows Task Scheduler, so it runs even when Rollcall is closed.');
    expect(has(page, 'schedule-repair')).toBe(false);
  });

  it('turns off, and then syncs only by hand', async () => {
    const { backend, page } = await openHome({ schedule: SAVED_DAILY });
    expect(byTestId<HTMLInputElement>(page, 'schedule-daily-time').value).toBe('02:00');
    click(page, 'schedule-off');
    await settle();
    expect(backend.sync.record.schedulesCleared).toEqual(['northwind']);
    expect(text(page, 'schedule-summary')).toContain('No schedule');
    expect(text(page, 'schedule-saved')).toContain('only when you click Sync now');
    expect(has(page, 'schedule-off')).toBe(false);
    expect(has(page, 'schedule-registration')).toBe(false);
  });
});

describe('what the operating system refused', () => {
  const REFUSAL = 'Rollcall could not register the schedule: there is no user session manager (systemd --user) running.';

  it('at start-up: shown by the registration, with one button to register it again', async () => {
    const { backend, page } = await openHome({ schedule: { ...SAVED_DAILY, registered: 'missing', problem: REFUSAL } });
    expect(byTestId(page, 'schedule-registration').dataset.state).toBe('missing');
    expect(text(page, 'schedule-registration')).toContain('Not registered with the systemd user timer, so it will not run while Rollcall is closed.');
    expect(text(page, 'schedule-problem')).toBe(REFUSAL);
    expect(text(page, 'schedule-repair')).toBe('Register it again');
    click(page, 'schedule-repair');
    await settle();
    expect(backend.sync.record.schedulesSet).toEqual([{ profile: 'northwind', settings: { daily: '02:00' } }]);
    expect(byTestId(page, 'schedule-registration').dataset.state).toBe('matches');
    expect(has(page, 'schedule-problem')).toBe(false);
  });

  it('on saving: said by the registration, and the saved schedule stays as it was', async () => {
    const { page } = await openHome({ schedule: SAVED_DAILY, registerRefusal: REFUSAL });
    type(page, 'schedule-daily-time', '03:00');
    click(page, 'schedule-save');
    await settle();
    expect(text(page, 'schedule-register-problem')).toContain('this computer refused to register it');
    expect(text(page, 'schedule-register-problem')).toContain(REFUSAL);
    expect(text(page, 'schedule-summary')).toBe('Syncs every day at 02:00.');
  });

  it('left over from an old schedule: offered to be removed', async () => {
    const { backend, page } = await openHome({ schedule: fakeScheduleStatus({ registered: 'stray' }) });
    expect(text(page, 'schedule-registration')).toContain('still has a schedule for this connection');
    click(page, 'schedule-repair');
    await settle();
    expect(backend.sync.record.schedulesCleared).toEqual(['northwind']);
  });
});

describe('the form and its words', () => {
  it('reads saved intervals back as minutes or hours and sends minutes', () => {
    expect(formFrom({ every: '1h30m' })).toMatchObject({ kind: 'every', amount: '90', unit: 'minutes' });
    expect(formFrom({ every: '2h' })).toMatchObject({ kind: 'every', amount: '2', unit: 'hours' });
    expect(formFrom({ weekdays: '07:30', after: 'staff' })).toMatchObject({ kind: 'weekdays', weekdaysTime: '07:30', after: 'staff' });
    expect(formFrom(null)).toMatchObject({ kind: 'daily', dailyTime: '02:00', after: '' });
    const hours = { ...formFrom({ every: '2h' }) };
    expect(settingsFrom(hours, { every: '2h', time_zone: 'Europe/London' })).toEqual({ every: '120m', time_zone: 'Europe/London' });
  });

  it('says the next run as the admin would: today, tomorrow, or the day, with how long until then', () => {
    const now = new Date(2026, 11, 2, 14, 0);
    const at = (date: Date) => nextRunWords(fakeScheduleStatus({ next_run: date.toISOString() }), now);
    expect(at(new Date(2026, 11, 2, 14, 25))).toBe('today at 14:25 (in 25 minutes)');
    expect(at(new Date(2026, 11, 3, 2, 0))).toBe('tomorrow at 02:00 (in about 12 hours)');
    expect(at(new Date(2026, 11, 7, 7, 30))).toBe('Monday 7 December at 07:30');
    const elsewhere = fakeScheduleStatus({ next_run: '2026-12-03T02:00:00.000Z', next_run_local: 'Thu 3 Dec 2026, 02:00 GMT', time_zone: 'Antarctica/Troll' });
    expect(nextRunWords(elsewhere, now)).toBe('Thu 3 Dec 2026, 02:00 GMT');
  });
});
