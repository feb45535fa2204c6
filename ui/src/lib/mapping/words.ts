// How the mapping's choices are said to an admin.
import type { UnsendablePerson, UsernameSource } from '../backend/backend';

/** What each user name source is called in a sentence ("has no email address"). */
export const SOURCE_NOUN: Record<UsernameSource, string> = {
  userPrincipalName: 'sign-in name',
  mail: 'email address',
  employeeId: 'employee ID',
};

/** People the mapping cannot send, grouped by why. */
export interface UnsendableGroup {
  code: string;
  /** "3 people can't be sent: their email address is empty" */
  summary: string;
  people: UnsendablePerson[];
}

function reason(code: string, source: UsernameSource): string | null {
  if (code === 'no_username') return `their ${SOURCE_NOUN[source]} is empty`;
  if (code === 'duplicate_username') return 'they would get the same user name as someone else';
  return null;
}

/** Groups the people who cannot be sent by their problem, in the order the problems first appear. */
export function unsendableGroups(unsendable: UnsendablePerson[], source: UsernameSource): UnsendableGroup[] {
  const groups = new Map<string, UnsendablePerson[]>();
  for (const person of unsendable) {
    const group = groups.get(person.code);
    if (group) group.push(person);
    else groups.set(person.code, [person]);
  }
  return [...groups].map(([code, people]) => {
    const count = `${people.length.toLocaleString('en')} ${people.length === 1 ? "person can't" : "people can't"} be sent`;
    const why = reason(code, source);
    return { code, summary: why === null ? count : `${count}: ${why}`, people };
  });
}
