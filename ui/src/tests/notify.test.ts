// The notifications step on the home screen: desktop notices on by default, the email report's
// fields each checked where they are typed, the password asked for only when the mail server
// signs in (and kept when it is stored), then a test email. Mounted against the fake backend.
import { describe, expect, it } from 'vitest';

import { BackendError } from '../lib/backend/backend';
import { createFakeBackend, fakeConnection, type FakeSyncOptions } from '../lib/backend/fake';
import Home from '../routes/home/Home.svelte';
import NotifyEditor from '../routes/home/NotifyEditor.svelte';
import { byTestId, click, has, settle, show, text, type } from './page';

async function openEditor(sync: FakeSyncOptions = {}) {
  const backend = createFakeBackend({ sync });
  let done = 0;
  const page = show(NotifyEditor, { backend, profile: 'northwind', onDone: () => (done += 1), debounceMs: 0 });
  await settle();
  return { backend, page, done: () => done };
}

/** Waits out the field check's pause and lets its answer arrive. */
async function checked(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1));
  await settle();
}

describe('notifications', () => {
  it('open from the connection page, desktop notices on and no email', async () => {
    const backend = createFakeBackend({ sync: { connections: [fakeConnection()] } });
    const page = show(Home, { backend, connections: [fakeConnection()], onSetUp: () => {}, onEdit: () => {}, onRefresh: () => {} });
    await settle();
    click(page, 'edit-notify');
    await settle();
    expect(has(page, 'notify-editor')).toBe(true);
    expect(byTestId<HTMLInputElement>(page, 'notify-desktop').checked).toBe(true);
    expect(byTestId<HTMLInputElement>(page, 'notify-email-on').checked).toBe(false);
    expect(has(page, 'notify-to')).toBe(false);
    click(page, 'notify-back');
    expect(has(page, 'sync-now')).toBe(true);
  });

  it('shows each problem under its field, asks for the password, saves, then sends a test email', async () => {
    const { backend, page } = await openEditor();
    click(page, 'notify-email-on');
    expect(has(page, 'notify-to')).toBe(true);
    expect(has(page, 'notify-password')).toBe(false);

    type(page, 'notify-to', 'it at school');
    await checked();
    expect(text(page, 'notify-to-problem')).toContain('is not an email address');
    expect(byTestId<HTMLButtonElement>(page, 'notify-save').disabled).toBe(true);

    type(page, 'notify-to', 'it@school.example, head@school.example');
    type(page, 'notify-from', 'rollcall@school.example');
    type(page, 'notify-server', 'smtp.school.example:587');
    await checked();
    expect(has(page, 'notify-to-problem')).toBe(false);
    expect(text(page, 'notify-server-problem')).toContain("is not a mail server's name");

    type(page, 'notify-server', 'smtp.school.example');
    type(page, 'notify-user', 'rollcall@school.example');
    await checked();
    expect(has(page, 'notify-server-problem')).toBe(false);
    expect(has(page, 'notify-password')).toBe(true);
    expect(text(page, 'notify-password-problem')).toContain('Enter the password');
    expect(backend.sync.record.notifySaved).toEqual([]);

    type(page, 'notify-password', 'mail-pass');
    await checked();
    expect(has(page, 'notify-password-problem')).toBe(false);
    click(page, 'notify-save');
    await settle();
    expect(backend.sync.record.notifySaved).toEqual([
      {
        profile: 'northwind',
        choice: {
          settings: {
            desktop: true,
            email: { to: ['it@school.example', 'head@school.example'], from: 'rollcall@school.example', server: 'smtp.school.example', port: 587, user: 'rollcall@school.example', when: 'problems' },
          },
          password: 'mail-pass',
        },
      },
    ]);
    expect(text(page, 'notify-saved')).toContain('Send a test email');
    expect(byTestId<HTMLInputElement>(page, 'notify-password').value).toBe('');
    expect(byTestId<HTMLInputElement>(page, 'notify-password').placeholder).toContain('Stored');

    click(page, 'notify-test');
    await settle();
    expect(backend.sync.record.testEmails).toEqual(['northwind']);
    expect(text(page, 'notify-test-sent')).toContain('it@school.example, head@school.example');
  });

  it('keeps a stored password and says plainly when the test email is refused', async () => {
    const refused = new BackendError('mail', 'smtp.school.example refused the user name or password. Check both and save them again.');
    const { backend, page } = await openEditor({
      notify: {
        settings: { desktop: false, email: { to: ['it@school.example'], from: 'rollcall@school.example', server: 'smtp.school.example', port: 587, user: 'rollcall@school.example', when: 'every_run' } },
        password_stored: true,
      },
      testEmailError: refused,
    });
    expect(byTestId<HTMLInputElement>(page, 'notify-desktop').checked).toBe(false);
    expect(byTestId<HTMLInputElement>(page, 'notify-to').value).toBe('it@school.example');
    expect(byTestId<HTMLInputElement>(page, 'notify-when-every').checked).toBe(true);
    expect(byTestId<HTMLInputElement>(page, 'notify-password').placeholder).toContain('Stored');

    click(page, 'notify-when-problems');
    click(page, 'notify-save');
    await settle();
    expect(has(page, 'notify-password-problem')).toBe(false);
    expect(backend.sync.record.notifySaved.at(-1)?.choice.password).toBeNull();
    expect(backend.sync.record.notifySaved.at(-1)?.choice.settings.email?.when).toBe('problems');

    click(page, 'notify-test');
    await settle();
    expect(text(page, 'notify-test-problem')).toContain('refused the user name or password');
    expect(has(page, 'notify-test-sent')).toBe(false);
  });
});
