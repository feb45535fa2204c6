// The people of a plan or report as the plan list shows them: which filter each falls under
// (a linked existing account counts with the new ones), their changes in words, and a search
// index so filtering 100,000 people per keystroke stays quick.
import type { ChangeKind, Counts, PlannedPerson, ValueChange } from '../backend/backend';

/** The filters of the plan list, in the order the buttons show. */
export type KindFilter = 'create' | 'update' | 'reactivate' | 'deactivate';

export const KIND_FILTERS: readonly KindFilter[] = ['create', 'update', 'reactivate', 'deactivate'];

export const FILTER_LABELS: Record<KindFilter, string> = {
  create: 'New accounts',
  update: 'Changed',
  reactivate: 'Switched back on',
  deactivate: 'Switched off',
};

/** What happens to one person, in words. */
export const KIND_LABELS: Record<ChangeKind, string> = {
  create: 'New account',
  adopt: 'Link existing account',
  update: 'Changed',
  reactivate: 'Switched back on',
  deactivate: 'Switched off',
};

/** The filter a kind of change falls under. */
export function filterOf(kind: ChangeKind): KindFilter {
  return kind === 'adopt' ? 'create' : kind;
}

/** How many people each filter shows, from the report's counts. */
export function filterCounts(counts: Counts): Record<KindFilter, number> {
  return {
    create: counts.create + counts.adopt,
    update: counts.update,
    reactivate: counts.reactivate,
    deactivate: counts.deactivate,
  };
}

/** "Job title: Teacher → Head of Year"; a missing value reads "(none)". */
export function changeText(change: ValueChange): string {
  return `${change.label}: ${change.before ?? '(none)'} → ${change.after ?? '(none)'}`;
}

/** The line under a person's name: the changes, the reason, or how the account was matched. */
export function detailText(person: PlannedPerson): string {
  if (person.changes.length > 0) return person.changes.map(changeText).join('; ');
  if (person.kind === 'adopt' && person.reason) return `Matched by ${person.reason}`;
  return person.reason ?? '';
}

/** A person with the lower-cased text the search box looks through, built once per plan. */
export interface IndexedPlanPerson {
  person: PlannedPerson;
  filter: KindFilter;
  haystack: string;
}

export function indexPlan(people: PlannedPerson[]): IndexedPlanPerson[] {
  return people.map((person) => ({
    person,
    filter: filterOf(person.kind),
    haystack: `${person.display_name}\u0000${person.user_name}\u0000${person.entra_id}`.toLowerCase(),
  }));
}

/** The people whose name, user name or ID contains `text` (any case) and, when `filter` is
 * given, whose change falls under it. */
export function filterPlan(people: IndexedPlanPerson[], text: string, filter: KindFilter | null): PlannedPerson[] {
  const needle = text.trim().toLowerCase();
  const matches: PlannedPerson[] = [];
  for (const entry of people) {
    if (filter !== null && entry.filter !== filter) continue;
    if (needle !== '' && !entry.haystack.includes(needle)) continue;
    matches.push(entry.person);
  }
  return matches;
}
