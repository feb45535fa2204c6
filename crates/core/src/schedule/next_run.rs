//! When a schedule runs next: pure arithmetic on the rule, the last run and an injected
//! "now", in the schedule's time zone, across daylight-saving changes.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

use super::{Rule, Schedule};

/// The next run of `schedule` (in its own time zone, or this computer's), given when it last
/// ran and the time now. See [`next_run_in`].
pub fn next_run(
    schedule: &Schedule,
    last_run: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    next_run_in(&schedule.rule, schedule.zone(), last_run, now)
}

/// The next run of `rule` with its times read in `zone`.
///
/// - An interval counts from the last run. When that moment has passed (the computer was
///   asleep or off), the run is due now, once: the missed runs are not made up one by one.
///   Never run before: due now.
/// - A daily or weekday time is the first such time after the last run. When that has
///   passed, the run is due now, once. Never run before: the next such time from now.
/// - On the day the clocks go forward, a time that does not exist (01:30 in London on the
///   last Sunday of March, when 01:00 becomes 02:00) runs at the first valid instant after
///   the gap (02:00 local, the moment the clocks change). On the day the clocks go back, a time that happens twice
///   (01:30 in London on the last Sunday of October) runs once, at the first of the two.
pub fn next_run_in(
    rule: &Rule,
    zone: Tz,
    last_run: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let due = match (rule, last_run) {
        (Rule::Every { .. }, None) => return now,
        (Rule::Every { minutes }, Some(last)) => last + Duration::minutes(i64::from(*minutes)),
        (Rule::Daily(time), last) => first_time_after(*time, zone, false, last, now),
        (Rule::Weekdays(time), last) => first_time_after(*time, zone, true, last, now),
    };
    due.max(now)
}

/// The first occurrence of `time` (on weekdays only, when `weekdays`) after `last`, or at or
/// after `now` when there was no last run.
fn first_time_after(
    time: NaiveTime,
    zone: Tz,
    weekdays: bool,
    last: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let (from, inclusive) = match last {
        Some(last) => (last, false),
        None => (now, true),
    };
    let mut day = from.with_timezone(&zone).date_naive() - Duration::days(1);
    // A week and a day always hold a weekday; the bound only keeps the loop finite.
    for _ in 0..10 {
        let counts = !weekdays || !matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        if counts {
            let at = instant_of(day, time, zone);
            if at > from || (inclusive && at == from) {
                return at;
            }
        }
        day += Duration::days(1);
    }
    from
}

/// The instant a local `time` on `day` names in `zone`: the earlier of two when the clocks go
/// back, the first valid instant after the gap when they go forward.
fn instant_of(day: NaiveDate, time: NaiveTime, zone: Tz) -> DateTime<Utc> {
    let mut local = day.and_time(time);
    // Gaps are whole minutes, and never longer than a day.
    for _ in 0..=24 * 60 {
        match zone.from_local_datetime(&local) {
            LocalResult::Single(at) => return at.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => return first.with_timezone(&Utc),
            LocalResult::None => {
                local += Duration::minutes(1);
            }
        }
    }
    Utc.from_utc_datetime(&local)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_gap_time_runs_when_the_clocks_change() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        let at = instant_of(
            day,
            NaiveTime::from_hms_opt(1, 30, 0).unwrap(),
            Tz::Europe__London,
        );
        assert_eq!(at, utc("2026-03-29T01:00:00Z"));
    }
}
