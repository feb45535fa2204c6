// The sync in plain words: phases, how a run was started and ended, how long it will take or
// has left, when the client secret expires, and each per-person problem with what to do.
import { durationText } from '../audience/progress';

export { durationText };
import type { Estimate, Phase, RunOutcome, SyncProgress, Trigger } from '../backend/backend';

export const PHASE_WORDS: Record<Phase, string> = {
  resolving: 'Checking what the last sync left open',
  planning: 'Working out what will change',
  creating: 'Creating accounts',
  updating: 'Updating accounts',
  reactivating: 'Switching accounts back on',
  managers: 'Setting managers',
  groups: 'Updating groups',
  deactivating: 'Switching accounts off',
  finishing: 'Finishing',
};

export const TRIGGER_WORDS: Record<Trigger, string> = {
  manual: 'By hand',
  schedule: 'Scheduled',
  undo: 'Undo',
};

export const OUTCOME_WORDS: Record<RunOutcome, string> = {
  ok: 'Done',
  problems: 'Done with problems',
  held: 'Switch-offs held back',
  stopped: 'Stopped',
  unfinished: 'Did not finish',
  skipped: 'Skipped: another sync was running',
  failed: 'Did not start',
};

/** Per-person problem codes the engine sends, each as a sentence with what to do. */
const PROBLEM_SENTENCES: Record<string, string> = {
  no_username: 'This person has no user name to sign in with, so no account was made. Fill in the field the user name comes from in Entra, or choose another source under Accounts.',
  duplicate_username: 'Someone else has the same user name, so neither account was touched. Give one of them a different value in Entra.',
  ambiguous_match: 'Two people match the same account on the platform, so Rollcall left it alone. Make their user names or emails different in Entra.',
  conflict: 'The platform already has an account with this user name that Rollcall does not manage. Remove or rename it on the platform, or let Rollcall link it by giving it the same external ID.',
  rejected: 'The platform refused this change. Check the value it names in the message below on the platform.',
  not_found: 'The account is no longer on the platform. It is created again on the next sync.',
  account_belongs_to_another: 'The matching account on the platform already belongs to someone else in this connection, so Rollcall left both alone. Check the two people in Entra.',
  duplicate_on_platform: 'The platform holds more than one account for this person. Remove the extra one on the platform; the next sync carries on.',
  unauthorized: 'The platform refused the token, so the sync stopped. Generate a new token in the platform and save it under Learning platform.',
  unavailable: 'The platform could not be reached or was busy for this change. The next sync tries again.',
};

/** A per-person problem in words; an unknown code shows the engine's own message. */
export function problemSentence(code: string, message: string): string {
  return PROBLEM_SENTENCES[code] ?? message;
}

/** The error shown in place of a screen's action when the engine refuses it. */
export function actionProblem(error: unknown): string {
  if (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'busy') {
    return 'A sync of this connection is already running. Wait for it to finish.';
  }
  return error instanceof Error ? error.message : String(error);
}

/** "about 3 minutes", "a few seconds", or null when nothing earlier says how long. */
export function estimateText(estimate: Estimate): string | null {
  if (estimate.requests === 0) return 'a few seconds';
  if (estimate.minutes === null) return null;
  return durationText(estimate.minutes * 60_000);
}

/** Time left in a phase from the rate so far; null until there is a rate to go by. */
export function runTimeLeft(progress: SyncProgress, elapsedMs: number): string | null {
  if (progress.done <= 0 || elapsedMs <= 0 || progress.total <= progress.done) return null;
  const rate = progress.done / elapsedMs;
  return `${capitalised(durationText((progress.total - progress.done) / rate))} left`;
}

export function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The client secret's countdown, and how worried to be about it. */
export function expiryText(daysLeft: number | null, expires: string | null): { text: string; level: 'ok' | 'warning' | 'error' } | null {
  if (daysLeft === null) return null;
  const on = expires ? ` (${expires})` : '';
  if (daysLeft < 0) return { text: `The client secret expired${on}. Create a new one in the Entra admin center and enter it in setup.`, level: 'error' };
  if (daysLeft === 0) return { text: `The client secret expires today${on}.`, level: 'warning' };
  const days = daysLeft === 1 ? '1 day' : `${daysLeft} days`;
  return { text: `The client secret expires in ${days}${on}.`, level: daysLeft <= 30 ? 'warning' : 'ok' };
}

/** "2 Mar 2026, 09:00" in the admin's own time zone. */
export function timeText(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function count(value: number): string {
  return value.toLocaleString('en');
}

/** "1 person", "12 people". */
export function people(value: number): string {
  return value === 1 ? '1 person' : `${count(value)} people`;
}
