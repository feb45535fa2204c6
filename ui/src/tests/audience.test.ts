// Choosing who gets an account: the group picker (search as you type, pasted IDs, include and
// exclude lists, member counts) and the preview (totals, filters, search, drawing only the
// rows in view), mounted against the fake backend.
import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { GroupSelection } from '../lib/backend/backend';
import { createFakeBackend, FAKE_GROUPS, fakePreview, type FakeBackend } from '../lib/backend/fake';
import GroupPicker from '../lib/audience/GroupPicker.svelte';
import PreviewScreen from '../lib/audience/PreviewScreen.svelte';
import Audience from '../routes/wizard/Audience.svelte';
import { Wizard } from '../lib/wizard/wizard.svelte';
import { readFraction, timeLeftText } from '../lib/audience/progress';

let mounted: ReturnType<typeof mount> | null = null;

afterEach(() => {
  if (mounted) unmount(mounted);
  mounted = null;
  document.body.innerHTML = '';
  vi.useRealTimers();
});

function target(): HTMLElement {
  const element = document.createElement('div');
  document.body.append(element);
  return element;
}

function byTestId<T extends HTMLElement = HTMLElement>(root: HTMLElement, id: string): T {
  const found = root.querySelector<T>(`[data-testid="${id}"]`);
  if (!found) throw new Error(`nothing on the page has data-testid="${id}"`);
  return found;
}

function all(root: HTMLElement, id: string): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];
}

function type(root: HTMLElement, id: string, value: string): void {
  const input = byTestId<HTMLInputElement>(root, id);
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  flushSync();
}

async function settle(): Promise<void> {
  for (let round = 0; round < 3; round += 1) await Promise.resolve();
  flushSync();
}

function openPicker(backend: FakeBackend, onPreview: (selection: GroupSelection) => void = () => {}): HTMLElement {
  const page = target();
  mounted = mount(GroupPicker, { target: page, props: { backend, profile: 'entra', onPreview, debounceMs: 200 } });
  flushSync();
  return page;
}

describe('group picker', () => {
  it('searches once typing pauses and shows each group with its member count', async () => {
    vi.useFakeTimers();
    const backend = createFakeBackend();
    const page = openPicker(backend);
    type(page, 'group-search', 'S');
    type(page, 'group-search', 'St');
    type(page, 'group-search', 'Sta');
    await vi.advanceTimersByTimeAsync(100);
    expect(backend.record.searches).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(200);
    await settle();
    expect(backend.record.searches).toEqual([{ profile: 'entra', text: 'Sta' }]);
    const rows = all(page, 'group-result');
    expect(rows.map((row) => row.querySelector('.name')?.textContent)).toEqual(['All Staff', 'Staff Teachers']);
    expect(rows.map((row) => byTestId(row, 'group-member-count').textContent)).toEqual(['120 direct members', '64 direct members']);
  });

  it('finds the group a pasted admin-center link names', async () => {
    vi.useFakeTimers();
    const backend = createFakeBackend();
    const page = openPicker(backend);
    const group = FAKE_GROUPS[3];
    type(page, 'group-search', `https://entra.microsoft.com/#view/Microsoft_AAD_IAM/GroupDetailsMenuBlade/~/Overview/groupId/${group.id}`);
    await vi.advanceTimersByTimeAsync(300);
    await settle();
    const rows = all(page, 'group-result');
    expect(rows).toHaveLength(1);
    expect(rows[0].textContent).toContain('Supply cover');
    expect(rows[0].textContent).toContain('9 direct members');
  });

  it('says plainly when a pasted ID is not a group here', async () => {
    vi.useFakeTimers();
    const page = openPicker(createFakeBackend());
    type(page, 'group-search', 'ffffffff-0000-0000-0000-000000000000');
    await vi.advanceTimersByTimeAsync(300);
    await settle();
    expect(byTestId(page, 'group-search-problem').textContent).toContain('No group with ID ffffffff-0000-0000-0000-000000000000');
  });

  it('puts groups on the include and exclude lists and sends them with nesting on by default', async () => {
    vi.useFakeTimers();
    const chosen: GroupSelection[] = [];
    const page = openPicker(createFakeBackend(), (selection) => chosen.push(selection));
    expect(byTestId<HTMLButtonElement>(page, 'show-preview').disabled).toBe(true);
    expect(byTestId<HTMLInputElement>(page, 'include-nested').checked).toBe(true);
    type(page, 'group-search', 'staff');
    await vi.advanceTimersByTimeAsync(300);
    await settle();
    const [allStaff, teachers] = all(page, 'group-result');
    byTestId(allStaff, 'group-include').click();
    byTestId(teachers, 'group-exclude').click();
    flushSync();
    expect(all(page, 'included-group').map((row) => row.textContent)).toEqual([expect.stringContaining('All Staff (120 direct members)')]);
    expect(all(page, 'excluded-group').map((row) => row.textContent)).toEqual([expect.stringContaining('Staff Teachers (64 direct members)')]);

    // Moving a group to the other list takes it off the first.
    byTestId(teachers, 'group-include').click();
    flushSync();
    expect(all(page, 'included-group')).toHaveLength(2);
    expect(all(page, 'excluded-group')).toHaveLength(0);
    byTestId(teachers, 'group-exclude').click();
    flushSync();

    byTestId(page, 'show-preview').click();
    expect(chosen).toEqual([{ include: [FAKE_GROUPS[0].id], exclude: [FAKE_GROUPS[1].id], nested: true, guests: false }]);
  });
});

function openPreview(count = 40, chosenFile: string | null = null): HTMLElement & { exports: (string | null)[] } {
  const page = Object.assign(target(), { exports: [] as (string | null)[] });
  mounted = mount(PreviewScreen, {
    target: page,
    props: {
      preview: fakePreview(count),
      onExport: async (path) => {
        page.exports.push(path);
        return { path: path ?? 'exports/entra-preview.csv', people: count };
      },
      onChooseFile: async () => chosenFile,
    },
  });
  flushSync();
  return page;
}

describe('preview', () => {
  it('shows the totals an admin checks before going on', () => {
    const page = openPreview(40);
    const expected = fakePreview(40).totals;
    expect(byTestId(page, 'total-matched').textContent).toBe('40');
    expect(byTestId(page, 'total-enabled').textContent).toBe(String(expected.enabled));
    expect(byTestId(page, 'total-disabled').textContent).toBe(String(expected.disabled));
    expect(byTestId(page, 'total-guests').textContent).toBe(String(expected.guests));
    expect(expected.disabled).toBeGreaterThan(0);
    expect(byTestId(page, 'total-warning-no_mail').textContent).toBe(String(expected.warnings.no_mail));
    expect(byTestId(page, 'filter-no_mail').textContent).toContain('No email address');
  });

  it('filters to the people with no mail', () => {
    const page = openPreview(40);
    byTestId(page, 'filter-no_mail').click();
    flushSync();
    const rows = all(page, 'person-row');
    expect(rows.length).toBe(fakePreview(40).totals.warnings.no_mail);
    for (const row of rows) expect(row.textContent).toContain('No email address');
    expect(byTestId(page, 'people-shown').textContent).toBe(`Showing ${rows.length} of 40`);
    byTestId(page, 'filter-all').click();
    flushSync();
    expect(byTestId(page, 'people-shown').textContent).toBe('Showing 40 of 40');
  });

  it('narrows the rows to what is typed in the search box', () => {
    const page = openPreview(40);
    type(page, 'people-search', 'Person 3 okafor');
    const rows = all(page, 'person-row');
    expect(rows.map((row) => row.querySelector('.name')?.textContent)).toEqual(['Person 3 Okafor']);
    type(page, 'people-search', 'year 7 tutors');
    expect(byTestId(page, 'people-shown').textContent).toBe('Showing 14 of 40');
    expect(all(page, 'person-row')[0].textContent).toContain('All Staff → Staff Teachers → Year 7 tutors');
    type(page, 'people-search', 'nobody-by-this-name');
    expect(all(page, 'person-row')).toHaveLength(0);
    expect(byTestId(page, 'people-empty').textContent).toContain('Nobody matches');
  });

  it('draws only the rows in view of 100,000 people, and the right ones after scrolling', () => {
    const page = openPreview(100_000);
    expect(byTestId(page, 'people-shown').textContent).toBe('Showing 100,000 of 100,000');
    expect(all(page, 'person-row').length).toBeLessThan(40);
    const body = byTestId(page, 'people-rows');
    body.scrollTop = 48 * 50_000;
    body.dispatchEvent(new Event('scroll'));
    flushSync();
    const names = all(page, 'person-row').map((row) => row.querySelector('.name')?.textContent ?? '');
    expect(names.length).toBeLessThan(40);
    expect(names).toContain('Person 50000 Ahmed');
  });

  it('says where the CSV was saved', async () => {
    const page = openPreview(40);
    byTestId(page, 'export-csv').click();
    await settle();
    expect(page.exports).toEqual([null]);
    expect(byTestId(page, 'export-done').textContent).toBe('Saved 40 people to exports/entra-preview.csv');
  });

  it('saves where the save dialog says, and does nothing when it is cancelled', async () => {
    const chosen = openPreview(40, '/home/admin/Documents/staff.csv');
    byTestId(chosen, 'export-choose').click();
    await settle();
    await settle();
    expect(chosen.exports).toEqual(['/home/admin/Documents/staff.csv']);
    expect(byTestId(chosen, 'export-done').textContent).toBe('Saved 40 people to /home/admin/Documents/staff.csv');
    unmount(mounted!);

    const cancelled = openPreview(40, null);
    byTestId(cancelled, 'export-choose').click();
    await settle();
    await settle();
    expect(cancelled.exports).toEqual([]);
    expect(cancelled.querySelector('[data-testid="export-done"]')).toBeNull();
    expect(cancelled.querySelector('[data-testid="export-problem"]')).toBeNull();
  });
});

describe('who gets an account', () => {
  it('reads with progress, can be cancelled, and then shows what the last read had', async () => {
    vi.useFakeTimers();
    const backend = createFakeBackend({
      holdReads: true,
      progress: [{ stage: 'Reading members of All Staff', users: 1200, pages: 3, requests: 4, elapsed_ms: 2500, expected_requests: null, time_left_ms: null }],
    });
    const wizard = new Wizard(9);
    wizard.savedProfile = 'entra';
    const page = target();
    mounted = mount(Audience, { target: page, props: { wizard, backend, demo: null } });
    flushSync();
    type(page, 'group-search', 'all');
    await vi.advanceTimersByTimeAsync(400);
    await settle();
    byTestId(all(page, 'group-result')[0], 'group-include').click();
    flushSync();
    byTestId(page, 'show-preview').click();
    await settle();
    expect(byTestId(page, 'read-progress').textContent).toContain('Reading members of All Staff');
    expect(byTestId(page, 'read-progress-counts').textContent).toContain('1,200 people read, 3 pages, 2.5 s so far');
    expect(byTestId(page, 'read-time-left').textContent).toContain('first read');
    expect(byTestId<HTMLProgressElement>(page, 'read-progress-bar').hasAttribute('value')).toBe(false);
    byTestId(page, 'cancel-read').click();
    await settle();
    await settle();
    expect(backend.record.cancels).toBe(1);
    expect(byTestId(page, 'preview-incomplete').textContent).toContain('was cancelled');
    expect(backend.record.reads[0].selection.include).toEqual([FAKE_GROUPS[0].id]);

    byTestId(page, 'back-to-groups').click();
    flushSync();
    expect(all(page, 'included-group').map((row) => row.textContent)).toEqual([expect.stringContaining('All Staff')]);
  });
});

describe('the choice made last time', () => {
  it('opens with the saved groups, and says which of them are gone', async () => {
    const [allStaff, teachers] = FAKE_GROUPS;
    const backend = createFakeBackend({
      savedScope: {
        include: [
          { ...allStaff, missing: false },
          { id: '0b0c0d0e-1111-4222-8333-944445555666', displayName: 'Old Leavers', description: null, memberCount: null, missing: true },
        ],
        exclude: [{ ...teachers, missing: false }],
        nested: false,
        guests: true,
      },
    });
    const chosen: GroupSelection[] = [];
    const page = openPicker(backend, (selection) => chosen.push(selection));
    expect(byTestId(page, 'saved-scope-loading').textContent).toContain('chosen last time');
    await settle();
    expect(page.querySelector('[data-testid="saved-scope-loading"]')).toBeNull();
    expect(all(page, 'included-group').map((row) => row.textContent)).toEqual([
      expect.stringContaining('All Staff (120 direct members)'),
      expect.stringContaining('Old Leavers (no longer in Entra ID: remove it)'),
    ]);
    expect(all(page, 'excluded-group').map((row) => row.textContent)).toEqual([expect.stringContaining('Staff Teachers')]);
    expect(byTestId<HTMLInputElement>(page, 'include-nested').checked).toBe(false);
    expect(byTestId<HTMLInputElement>(page, 'include-guests').checked).toBe(true);
    expect(byTestId(page, 'missing-groups').textContent).toContain('Old Leavers');
    expect(byTestId<HTMLButtonElement>(page, 'show-preview').disabled).toBe(true);

    byTestId(all(page, 'included-group')[1], 'remove-group').click();
    flushSync();
    expect(page.querySelector('[data-testid="missing-groups"]')).toBeNull();
    byTestId(page, 'show-preview').click();
    expect(chosen).toEqual([{ include: [allStaff.id], exclude: [teachers.id], nested: false, guests: true }]);
  });

  it('keeps what the admin picked if the saved choice arrives late', async () => {
    vi.useFakeTimers();
    let answer: (scope: { include: []; exclude: []; nested: boolean; guests: boolean }) => void = () => {};
    const backend = createFakeBackend();
    backend.savedScope = () => new Promise((resolve) => (answer = resolve));
    const page = openPicker(backend);
    type(page, 'group-search', 'staff');
    await vi.advanceTimersByTimeAsync(300);
    await settle();
    byTestId(all(page, 'group-result')[0], 'group-include').click();
    flushSync();
    answer({ include: [], exclude: [], nested: false, guests: true });
    await settle();
    expect(all(page, 'included-group')).toHaveLength(1);
    expect(byTestId<HTMLInputElement>(page, 'include-nested').checked).toBe(true);
  });
});

describe('time left', () => {
  const base = { stage: 'Reading', users: 0, pages: 0, requests: 0, elapsed_ms: 0, expected_requests: null, time_left_ms: null };

  it('is estimated against the last read and fills the bar', () => {
    const halfway = { ...base, requests: 300, expected_requests: 600, time_left_ms: 95_000 };
    expect(readFraction(halfway)).toBe(0.5);
    expect(timeLeftText(halfway)).toBe('About 2 minutes left');
    expect(timeLeftText({ ...halfway, time_left_ms: 42_000 })).toBe('About 45 seconds left');
    expect(timeLeftText({ ...halfway, time_left_ms: 4_000 })).toBe('A few seconds left');
    expect(timeLeftText({ ...halfway, time_left_ms: 5_400_000 })).toBe('About 1.5 hours left');
    expect(readFraction({ ...halfway, requests: 900 })).toBe(0.99);
    expect(timeLeftText({ ...halfway, requests: 900, time_left_ms: null })).toBe('Almost done…');
  });

  it('is not guessed on a first read', () => {
    expect(readFraction(base)).toBeNull();
    expect(timeLeftText(base)).toContain('first read');
    expect(timeLeftText(null)).toBe('Starting…');
  });
});
