// The learning platform and mapping tests' way of opening the wizard at a step for a saved
// connection and acting on the page as an admin would.
import { flushSync, mount, unmount } from 'svelte';

import { createFakeBackend, type FakeBackend, type FakeBackendOptions } from '../lib/backend/fake';
import WizardFrame from '../routes/wizard/WizardFrame.svelte';

let mounted: ReturnType<typeof mount> | null = null;

export function close(): void {
  if (mounted) unmount(mounted);
  mounted = null;
  document.body.innerHTML = '';
}

/** Lets the fake backend's answers arrive and the page update. */
export async function settle(): Promise<void> {
  for (let round = 0; round < 12; round += 1) await Promise.resolve();
  flushSync();
}

export interface Opened {
  page: HTMLElement;
  backend: FakeBackend;
  finished: string[];
}

/** The wizard opened at `startAt` for the saved connection "entra". */
export async function openAt(startAt: string, options: FakeBackendOptions = {}): Promise<Opened> {
  const page = document.createElement('div');
  document.body.append(page);
  const backend = createFakeBackend(options);
  const finished: string[] = [];
  mounted = mount(WizardFrame, {
    target: page,
    props: { backend, demo: options.demo ?? null, profile: 'entra', startAt, onFinish: (name: string) => finished.push(name) },
  });
  await settle();
  return { page, backend, finished };
}

export function byTestId<T extends HTMLElement = HTMLElement>(root: HTMLElement, id: string): T {
  const found = root.querySelector<T>(`[data-testid="${id}"]`);
  if (!found) throw new Error(`nothing on the page has data-testid="${id}"`);
  return found;
}

export function has(root: HTMLElement, id: string): boolean {
  return root.querySelector(`[data-testid="${id}"]`) !== null;
}

export function text(root: HTMLElement, id: string): string {
  return (byTestId(root, id).textContent ?? '').replace(/\s+/g, ' ').trim();
}

export async function click(root: HTMLElement, id: string): Promise<void> {
  byTestId(root, id).click();
  await settle();
}

export function type(root: HTMLElement, id: string, value: string): void {
  const input = byTestId<HTMLInputElement>(root, id);
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  flushSync();
}

export function nextButton(root: HTMLElement): HTMLButtonElement {
  return byTestId<HTMLButtonElement>(root, 'wizard-next');
}
