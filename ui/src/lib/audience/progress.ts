// A directory read's progress in words: how far it has got and how long it has left. The
// engine measures a read against the last one of the same groups; a first read has no such
// yardstick, so it shows activity without guessing a time.
import type { ReadProgress } from '../backend/backend';

/** How full the progress bar is (0 to 0.99), or null when there is nothing to measure by. */
export function readFraction(progress: ReadProgress | null): number | null {
  if (progress === null || progress.expected_requests === null || progress.expected_requests <= 0) return null;
  return Math.min(progress.requests / progress.expected_requests, 0.99);
}

/** "About 2 minutes left", or what can honestly be said instead. */
export function timeLeftText(progress: ReadProgress | null): string {
  if (progress === null) return 'Starting…';
  if (progress.expected_requests === null) return 'The first read of these groups: the time it takes is shown from the next read on.';
  const left = progress.time_left_ms;
  if (left === null) return progress.requests === 0 ? 'Working out the time left…' : 'Almost done…';
  const text = durationText(left);
  return `${text.charAt(0).toUpperCase()}${text.slice(1)} left`;
}

/** A length of time in words, rounded as a person would say it: "a few seconds",
 * "about 25 seconds", "about a minute", "about 3 minutes", "about 1.5 hours". */
export function durationText(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 10) return 'a few seconds';
  if (seconds < 60) return `about ${Math.ceil(seconds / 5) * 5} seconds`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return minutes === 1 ? 'about a minute' : `about ${minutes} minutes`;
  const hours = Math.round((minutes / 60) * 10) / 10;
  return `about ${hours.toLocaleString('en')} hours`;
}
