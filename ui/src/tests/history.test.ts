// A connection's history: every run in words, each opening its report, and Undo, which first
// learns how many accounts it would switch back on, names that number, and only then acts.
import { describe, expect, it } from 'vitest';

import { BackendError } from '../lib/backend/backend';
import { counts, createFakeBackend, fakeRun, type FakeSyncOptions } from '../lib/backend/fake';
import History from '../routes/home/History.svelte';
import { all, byTestId, click, has, settle, show, text } from './page';

const RUNS = [
  fakeRun({ id: 9, trigger: 'schedule', applied: counts({ deactivate: 12 }), outcome: 'ok', undoable: true }),
  fakeRun({ id: 8, trigger: 'manual', applied: counts({ create: 3, update: 1 }), errors: 1, outcome: 'problems' }),
  fakeRun({ id: 7, trigger: 'undo', applied: counts(), outcome: 'ok' }),
];

async function openHistory(sync: FakeSyncOptions = {}) {
  const backend = createFakeBackend({ sync: { history: RUNS, undoCount: 12, ...sync } });
  const page = show(History, { backend, profile: 'northwind', onBack: () => {} });
  await settle();
  return { backend, page };
}

describe('history', () => {
  it('lists every run: how it started, what it changed, how it ended', async () => {
    const { page } = await openHistory();
    const runs = all(page, 'history-run');
    expect(runs.map((run) => text(run, 'history-trigger'))).toEqual(['Scheduled', 'By hand', 'Undo']);
    expect(runs.map((run) => text(run, 'history-summary'))).toEqual(['12 switched off', '3 new, 1 changed, 1 problem', 'Nothing changed']);
    expect(runs.map((run) => text(run, 'history-outcome'))).toEqual(['Done', 'Done with problems', 'Done']);
    expect(runs.map((run) => has(run, 'history-undo'))).toEqual([true, false, false]);
  });

  it("opens a run's report", async () => {
    const { backend, page } = await openHistory();
    byTestId(all(page, 'history-run')[1], 'history-open').click();
    await settle();
    expect(backend.sync.record.reportsOpened).toEqual([{ profile: 'northwind', run: 8 }]);
    expect(has(page, 'report')).toBe(true);
    click(page, 'history-back-to-list');
    expect(all(page, 'history-run')).toHaveLength(3);
  });

  it('undoes a run only after a question naming how many accounts come back on', async () => {
    const { backend, page } = await openHistory();
    click(page, 'history-undo');
    await settle();
    expect(backend.sync.record.undos).toEqual([{ profile: 'northwind', run: 9, dryRun: true }]);
    expect(text(page, 'undo-dialog-title')).toBe('Switch 12 accounts back on?');

    click(page, 'undo-dialog-cancel');
    expect(has(page, 'undo-dialog')).toBe(false);
    expect(backend.sync.record.undos.filter((call) => !call.dryRun)).toEqual([]);

    click(page, 'history-undo');
    await settle();
    click(page, 'undo-dialog-ok');
    await settle();
    expect(backend.sync.record.undos.at(-1)).toEqual({ profile: 'northwind', run: 9, dryRun: false });
    expect(text(page, 'report-counts-reactivate')).toBe('12');
  });

  it('says in place when a sync is running', async () => {
    const { page } = await openHistory({ errors: { undoRun: new BackendError('busy', 'busy') } });
    click(page, 'history-undo');
    await settle();
    expect(text(page, 'history-problem')).toBe('A sync of this connection is already running. Wait for it to finish.');
    expect(has(page, 'undo-dialog')).toBe(false);
  });
});
