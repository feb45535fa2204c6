// The update calls of the fake backend: the check answers what the test chose, installing
// reports progress and then answers (or fails as the test chose), and everything asked is
// recorded so tests can look.
import { BackendError } from './backend';
import type { UpdateBackend, UpdateCheck, UpdateInstalled, UpdateProgress } from './update-contract';

export interface FakeUpdateOptions {
  /** What the check finds; up to date unless given. */
  check?: UpdateCheck;
  /** Progress an install reports before it answers. */
  progress?: UpdateProgress[];
  /** What each install does, in turn (the last one repeats): an answer, or an error as
   * `{code, message}`. Installed unless given. */
  installs?: (UpdateInstalled | { code: string; message: string })[];
  /** When set, a restart fails with this error. */
  restartError?: { code: string; message: string };
}

export interface FakeUpdateRecord {
  checks: number;
  installs: number;
  restarts: number;
}

export function fakeAvailable(given: Partial<Extract<UpdateCheck, { kind: 'available' }>> = {}): UpdateCheck {
  return { kind: 'available', version: '0.2.0', date: '2026-12-01', notes: 'Faster reads.\nA clearer history.', ...given };
}

export function createFakeUpdates(options: FakeUpdateOptions = {}): { methods: UpdateBackend; record: FakeUpdateRecord } {
  const record: FakeUpdateRecord = { checks: 0, installs: 0, restarts: 0 };
  const check = options.check ?? { kind: 'up_to_date' };
  const version = check.kind === 'available' ? check.version : '0.0.0';
  const installs = options.installs ?? [{ kind: 'installed', version }];
  const methods: UpdateBackend = {
    checkForUpdate: async () => {
      record.checks += 1;
      return structuredClone(check);
    },
    installUpdate: async (onProgress) => {
      const outcome = installs[Math.min(record.installs, installs.length - 1)];
      record.installs += 1;
      for (const progress of options.progress ?? []) onProgress(progress);
      await Promise.resolve();
      if ('code' in outcome) throw new BackendError(outcome.code, outcome.message);
      return structuredClone(outcome);
    },
    restartAfterUpdate: async () => {
      record.restarts += 1;
      if (options.restartError) throw new BackendError(options.restartError.code, options.restartError.message);
    },
  };
  return { methods, record };
}
