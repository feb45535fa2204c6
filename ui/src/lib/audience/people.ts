// The people of a preview as the preview screen shows them: plain words for warnings and
// status, the group path as one line, and a search index so filtering 100,000 people by
// typed text stays quick.
import type { PreviewUser, WarningCode } from '../backend/backend';

/** Each warning in words a non-technical admin understands. */
export const WARNING_LABELS: Record<WarningCode, string> = {
  no_mail: 'No email address',
  duplicate_mail: 'Email shared with someone else',
  duplicate_username: 'User name shared with someone else',
  upn_differs_from_mail: 'Sign-in name differs from email',
  manager_outside_scope: 'Manager not included',
  no_username: 'No user name (not sent)',
};

export function warningLabel(code: string): string {
  return (WARNING_LABELS as Record<string, string>)[code] ?? code.replaceAll('_', ' ');
}

/** "Staff → Teachers → Year 7 tutors"; several ways in are separated by "; ". */
export function pathText(user: PreviewUser): string {
  return user.paths.map((path) => path.join(' → ')).join('; ');
}

/** A person with the lower-cased text the search box looks through, built once per preview. */
export interface IndexedPerson {
  user: PreviewUser;
  haystack: string;
}

export function indexPeople(users: PreviewUser[]): IndexedPerson[] {
  return users.map((user) => ({
    user,
    haystack: `${user.displayName}\u0000${user.userPrincipalName}\u0000${user.mail ?? ''}\u0000${pathText(user)}`.toLowerCase(),
  }));
}

/** The people whose name, user name, email or group path contains `text` (any case) and, when
 * `warning` is given, who carry that warning. */
export function filterPeople(people: IndexedPerson[], text: string, warning: string | null): PreviewUser[] {
  const needle = text.trim().toLowerCase();
  const matches: PreviewUser[] = [];
  for (const person of people) {
    if (warning !== null && !person.user.warnings.includes(warning as WarningCode)) continue;
    if (needle !== '' && !person.haystack.includes(needle)) continue;
    matches.push(person.user);
  }
  return matches;
}

/** The rows a scrolled list shows: only those in view, plus a few either side. */
export function visibleRange(scrollTop: number, viewport: number, rowHeight: number, total: number, overscan = 6): { start: number; end: number } {
  const start = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const end = Math.min(total, Math.ceil((scrollTop + viewport) / rowHeight) + overscan);
  return { start, end: Math.max(start, end) };
}
