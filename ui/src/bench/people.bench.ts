// What typing in the preview's search box costs with 100,000 people in the list: one call of
// the filter the table runs on every keystroke (target: at most 100 ms). Run with
// `npm --prefix ui run bench`.
import { bench, describe } from 'vitest';

import { filterPeople, indexPeople } from '../lib/audience/people';
import { fakePreview } from '../lib/backend/fake';

const people = indexPeople(fakePreview(100_000).users);

describe('search box over 100,000 people', () => {
  // The first letter matches almost everyone; longer text matches fewer; the last matches nobody.
  for (const text of ['p', 'person 5', 'ahmed', 'year 7 tutors', 'nobody-by-this-name']) {
    bench(`typing "${text}"`, () => {
      filterPeople(people, text, null);
    });
  }
  bench('typing "ahmed" with the "No email address" filter on', () => {
    filterPeople(people, 'ahmed', 'no_mail');
  });
});
