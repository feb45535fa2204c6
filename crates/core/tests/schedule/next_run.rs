//! The next run, worked out with an injected "now".

use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;
use rollcall_core::schedule::{Rule, Schedule, ScheduleSettings, next_run, next_run_in};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn at(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).unwrap()
}

const LONDON: Tz = Tz::Europe__London;
const NEW_YORK: Tz = Tz::America__New_York;

/// The runs a schedule makes from `start` for `count` runs, each run happening the moment it
/// is due (as a timer that never misses would).
fn runs(rule: Rule, zone: Tz, start: DateTime<Utc>, count: usize) -> Vec<DateTime<Utc>> {
    let mut last = None;
    let mut now = start;
    let mut made = Vec::new();
    for _ in 0..count {
        let due = next_run_in(&rule, zone, last, now);
        made.push(due);
        last = Some(due);
        now = due;
    }
    made
}

#[test]
fn an_interval_counts_from_the_last_run() {
    let rule = Rule::Every { minutes: 90 };
    let now = utc("2026-06-01T10:00:00Z");
    assert_eq!(
        next_run_in(&rule, LONDON, None, now),
        now,
        "never run: due now"
    );
    assert_eq!(
        next_run_in(&rule, LONDON, Some(utc("2026-06-01T09:30:00Z")), now),
        utc("2026-06-01T11:00:00Z")
    );
    // Intervals are real time: the clock change in between does not move them.
    assert_eq!(
        next_run_in(
            &rule,
            LONDON,
            Some(utc("2026-03-29T00:30:00Z")),
            utc("2026-03-29T00:31:00Z")
        ),
        utc("2026-03-29T02:00:00Z")
    );
}

#[test]
fn runs_missed_while_asleep_happen_once_on_waking_not_in_a_burst() {
    let rule = Rule::Every { minutes: 40 };
    let last = utc("2026-06-01T09:00:00Z");
    // The laptop slept from 09:10 to 17:00: eleven runs were missed.
    let woke = utc("2026-06-01T17:00:00Z");
    assert_eq!(next_run_in(&rule, LONDON, Some(last), woke), woke);
    // That one run happens; the next is a full interval later, not another catch-up.
    let after = next_run_in(&rule, LONDON, Some(woke), woke + Duration::seconds(30));
    assert_eq!(after, woke + Duration::minutes(40));

    let daily = Rule::Daily(at(2, 0));
    let last = utc("2026-06-01T01:00:00Z"); // 02:00 BST on 1 June
    let woke = utc("2026-06-04T08:00:00Z"); // three 02:00s later
    assert_eq!(next_run_in(&daily, LONDON, Some(last), woke), woke);
    assert_eq!(
        next_run_in(&daily, LONDON, Some(woke), woke + Duration::minutes(5)),
        utc("2026-06-05T01:00:00Z"),
        "then back to 02:00 the next night"
    );
}

#[test]
fn daily_times_follow_the_clock_across_london_s_changes() {
    let rule = Rule::Daily(at(2, 30));
    // Winter (GMT = UTC) into summer (BST = UTC+1) on 29 March 2026.
    assert_eq!(
        runs(rule, LONDON, utc("2026-03-27T12:00:00Z"), 4),
        [
            utc("2026-03-28T02:30:00Z"),
            utc("2026-03-29T01:30:00Z"),
            utc("2026-03-30T01:30:00Z"),
            utc("2026-03-31T01:30:00Z"),
        ]
    );
    // Summer back to winter on 25 October 2026.
    assert_eq!(
        runs(rule, LONDON, utc("2026-10-24T00:00:00Z"), 3),
        [
            utc("2026-10-24T01:30:00Z"),
            utc("2026-10-25T02:30:00Z"),
            utc("2026-10-26T02:30:00Z"),
        ]
    );
}

#[test]
fn a_time_the_spring_change_skips_runs_when_the_clocks_change() {
    // 01:30 does not exist in London on 29 March 2026 (01:00 GMT becomes 02:00 BST): the
    // run happens at the first instant after the gap, 02:00 BST = 01:00 UTC.
    let rule = Rule::Daily(at(1, 30));
    assert_eq!(
        runs(rule, LONDON, utc("2026-03-28T12:00:00Z"), 2),
        [utc("2026-03-29T01:00:00Z"), utc("2026-03-30T00:30:00Z")]
    );
    // 02:30 does not exist in New York on 8 March 2026 (02:00 EST becomes 03:00 EDT).
    let rule = Rule::Daily(at(2, 30));
    assert_eq!(
        runs(rule, NEW_YORK, utc("2026-03-07T12:00:00Z"), 2),
        [utc("2026-03-08T07:00:00Z"), utc("2026-03-09T06:30:00Z")]
    );
}

#[test]
fn a_time_the_autumn_change_repeats_runs_once_at_the_first() {
    // 01:30 happens twice in London on 25 October 2026: at 00:30 UTC (BST) and 01:30 UTC
    // (GMT). One run, at the first; the next is the following night.
    let rule = Rule::Daily(at(1, 30));
    assert_eq!(
        runs(rule, LONDON, utc("2026-10-24T12:00:00Z"), 2),
        [utc("2026-10-25T00:30:00Z"), utc("2026-10-26T01:30:00Z")]
    );
    // New York, 1 November 2026: 01:30 EDT (05:30 UTC), then 01:30 EST (06:30 UTC) skipped.
    assert_eq!(
        runs(rule, NEW_YORK, utc("2026-10-31T12:00:00Z"), 2),
        [utc("2026-11-01T05:30:00Z"), utc("2026-11-02T06:30:00Z")]
    );
    // A run that was due just before the repeat is not made again by it.
    assert_eq!(
        next_run_in(
            &rule,
            NEW_YORK,
            Some(utc("2026-11-01T05:30:00Z")),
            utc("2026-11-01T06:31:00Z")
        ),
        utc("2026-11-02T06:30:00Z")
    );
}

#[test]
fn new_york_daily_times_move_with_its_changes() {
    let rule = Rule::Daily(at(7, 0));
    assert_eq!(
        runs(rule, NEW_YORK, utc("2026-03-07T00:00:00Z"), 2),
        [utc("2026-03-07T12:00:00Z"), utc("2026-03-08T11:00:00Z")]
    );
    assert_eq!(
        runs(rule, NEW_YORK, utc("2026-10-31T00:00:00Z"), 2),
        [utc("2026-10-31T11:00:00Z"), utc("2026-11-01T12:00:00Z")]
    );
}

#[test]
fn weekdays_skip_saturday_and_sunday() {
    let rule = Rule::Weekdays(at(7, 30));
    // Thursday 26 March 2026; the weekend is also London's spring change.
    assert_eq!(
        runs(rule, LONDON, utc("2026-03-26T00:00:00Z"), 4),
        [
            utc("2026-03-26T07:30:00Z"), // Thursday, GMT
            utc("2026-03-27T07:30:00Z"), // Friday
            utc("2026-03-30T06:30:00Z"), // Monday, BST
            utc("2026-03-31T06:30:00Z"),
        ]
    );
    // Set on a Saturday: nothing until Monday.
    assert_eq!(
        next_run_in(&rule, NEW_YORK, None, utc("2026-11-07T15:00:00Z")),
        utc("2026-11-09T12:30:00Z")
    );
    // Missed on Friday while asleep, woken on Sunday: due now, once.
    let sunday = utc("2026-11-08T15:00:00Z");
    assert_eq!(
        next_run_in(&rule, NEW_YORK, Some(utc("2026-11-05T12:30:00Z")), sunday),
        sunday
    );
}

#[test]
fn a_schedule_reads_its_times_in_its_own_zone() {
    let schedule = ScheduleSettings {
        daily: Some("02:00".into()),
        time_zone: Some("America/New_York".into()),
        ..ScheduleSettings::default()
    }
    .schedule()
    .unwrap();
    assert_eq!(
        next_run(&schedule, None, utc("2026-06-01T00:00:00Z")),
        utc("2026-06-01T06:00:00Z")
    );
    let local = Schedule {
        time_zone: None,
        ..schedule
    };
    assert_eq!(local.zone(), rollcall_core::schedule::system_zone());
}
