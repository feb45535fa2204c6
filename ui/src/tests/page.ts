// What the sync screens' tests share: mounting a component into the page, finding things by
// data-testid, typing, clicking, and letting pending answers arrive.
import { flushSync, mount, unmount, type Component } from 'svelte';
import { afterEach, vi } from 'vitest';

let mounted: ReturnType<typeof mount> | null = null;

afterEach(() => {
  if (mounted) unmount(mounted);
  mounted = null;
  document.body.innerHTML = '';
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Mounts `component` with `props` into a fresh element on the page. */
export function show<Props extends Record<string, unknown>>(component: Component<Props>, props: Props): HTMLElement {
  const target = document.createElement('div');
  document.body.append(target);
  mounted = mount(component, { target, props });
  flushSync();
  return target;
}

export function byTestId<T extends HTMLElement = HTMLElement>(root: ParentNode, id: string): T {
  const found = root.querySelector<T>(`[data-testid="${id}"]`);
  if (!found) throw new Error(`nothing on the page has data-testid="${id}"`);
  return found;
}

export function has(root: ParentNode, id: string): boolean {
  return root.querySelector(`[data-testid="${id}"]`) !== null;
}

export function all(root: ParentNode, id: string): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];
}

export function text(root: ParentNode, id: string): string {
  return (byTestId(root, id).textContent ?? '').replace(/\s+/g, ' ').trim();
}

export function type(root: ParentNode, id: string, value: string): void {
  const input = byTestId<HTMLInputElement>(root, id);
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  flushSync();
}

export function click(root: ParentNode, id: string): void {
  byTestId(root, id).click();
  flushSync();
}

/** Lets the fake backend's answers arrive and the page update. */
export async function settle(rounds = 30): Promise<void> {
  for (let round = 0; round < rounds; round += 1) {
    await Promise.resolve();
    flushSync();
  }
}
