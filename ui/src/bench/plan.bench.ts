// What typing in the plan's search box, or choosing a kind of change, costs with 100,000
// people in the plan: one call of the filter the plan list runs on every keystroke (target: at
// most 100 ms). Run with `npm --prefix ui run bench`.
import { bench, describe } from 'vitest';

import { fakePlannedPeople } from '../lib/backend/fake';
import { filterPlan, indexPlan } from '../lib/sync/plan';

const people = indexPlan(fakePlannedPeople(100_000));

describe('plan list over 100,000 people', () => {
  // Each keystroke of "person 4242": the first letters match almost everyone, the last few.
  const typed = 'person 4242';
  for (let length = 1; length <= typed.length; length += 1) {
    const text = typed.slice(0, length);
    bench(`typing "${text}"`, () => {
      filterPlan(people, text, null);
    });
  }
  bench('typing "nobody-by-this-name"', () => {
    filterPlan(people, 'nobody-by-this-name', null);
  });
  for (const kind of ['create', 'update', 'reactivate', 'deactivate'] as const) {
    bench(`choosing "${kind}"`, () => {
      filterPlan(people, '', kind);
    });
  }
  bench('typing "okafor" with "deactivate" chosen', () => {
    filterPlan(people, 'okafor', 'deactivate');
  });
});
