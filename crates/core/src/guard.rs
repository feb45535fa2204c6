//! The guard: decides whether a run may deactivate anyone. Nobody is switched off when the
//! read of Entra did not finish, when a scope group could not be read or no longer exists,
//! or when the cache was read before the run began; and no more than the `[safety]` limits
//! allow (a count, and a share of the accounts the connection owns). `force_deactivations`
//! lifts the limits for one run, never the rules about the read. Each hold is one plain
//! sentence for the report. Pure: no I/O.

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;

use crate::profile::SafetySettings;
use crate::store::{ReadProblem, ReadStatus};

/// One reason deactivations are held back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Hold {
    pub code: String,
    pub message: String,
    /// How many deactivations it held back.
    pub accounts: usize,
    /// Whether the admin may lift it for one run (a limit; never a read that did not finish).
    pub liftable: bool,
}

/// The holds `--force-deactivations` (or the window's "Allow for this run") lifts.
const LIFTABLE: &[&str] = &["too_many", "too_large_share"];

/// What the guard is shown.
#[derive(Debug, Clone, Copy)]
pub struct GuardInput<'a> {
    /// The cache's last read, `None` when it was never read.
    pub read: Option<&'a ReadStatus>,
    /// Problems stored with the snapshot (a scope group that does not exist, …).
    pub problems: &'a [ReadProblem],
    /// When the run began; a read that started earlier is too old to deactivate from.
    pub run_started: DateTime<Utc>,
    /// Active accounts the connection owns.
    pub owned_active: usize,
    /// Deactivations the plan holds.
    pub deactivations: usize,
    pub safety: &'a SafetySettings,
    pub force: bool,
}

/// Problem codes that mean a scope group could not be read or no longer exists.
const SCOPE_GROUP_PROBLEMS: &[&str] = &[
    "group_not_found",
    "group_deleted",
    "group_unreadable",
    "group_forbidden",
];

/// The reasons to hold every deactivation of this run; empty when they may go ahead.
pub fn holds(input: GuardInput<'_>) -> Vec<Hold> {
    let count = input.deactivations;
    if count == 0 {
        return Vec::new();
    }
    let hold = |code: &str, message: String| Hold {
        code: code.into(),
        message,
        accounts: count,
        liftable: LIFTABLE.contains(&code),
    };
    let mut holds = Vec::new();
    match input.read {
        None => holds.push(hold(
            "never_read",
            "Entra has not been read yet, so nobody is switched off.".into(),
        )),
        Some(read) if !read.complete => holds.push(hold(
            "read_incomplete",
            format!(
                "The read of Entra did not finish{}, so nobody is switched off.",
                read.message
                    .as_deref()
                    .map(|why| format!(" ({})", why.trim_end_matches('.')))
                    .unwrap_or_default()
            ),
        )),
        Some(read) => {
            let started = DateTime::parse_from_rfc3339(&read.started_at)
                .map(|at| at.with_timezone(&Utc))
                .ok();
            // The status keeps milliseconds: compare at that precision.
            let run_started = input.run_started.trunc_subsecs(3);
            if started.is_none_or(|started| started < run_started) {
                holds.push(hold(
                    "cache_stale",
                    "The cache was read before this run began, so nobody is switched off; read Entra again first.".into(),
                ));
            }
        }
    }
    for problem in input
        .problems
        .iter()
        .filter(|problem| SCOPE_GROUP_PROBLEMS.contains(&problem.code.as_str()))
    {
        holds.push(hold(
            "scope_group_missing",
            format!(
                "A scope group could not be read, so nobody is switched off: {}",
                problem.message
            ),
        ));
    }
    if input.force {
        return holds;
    }
    let limit = input.safety.max_deactivations as usize;
    if count > limit {
        holds.push(hold(
            "too_many",
            format!(
                "This would switch off {count} accounts, more than the limit of {limit} in [safety] max_deactivations; check the change in Entra; if it is right, allow them for one run (in the window, or with --force-deactivations)."
            ),
        ));
    }
    let percent = count as f64 * 100.0 / input.owned_active.max(1) as f64;
    let allowed = input.safety.max_deactivation_percent;
    if percent > f64::from(allowed) {
        holds.push(hold(
            "too_large_share",
            format!(
                "This would switch off {percent:.0}% of accounts ({count} of {}), more than the limit of {allowed}% in [safety] max_deactivation_percent; check the change in Entra; if it is right, allow them for one run (in the window, or with --force-deactivations).",
                input.owned_active
            ),
        ));
    }
    holds
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ReadKind;

    fn status(complete: bool, started_at: &str) -> ReadStatus {
        ReadStatus {
            complete,
            kind: ReadKind::Delta,
            started_at: started_at.into(),
            finished_at: Some(started_at.into()),
            message: (!complete).then(|| "Graph answered 503.".to_string()),
            requests: 3,
        }
    }

    fn input<'a>(
        read: Option<&'a ReadStatus>,
        problems: &'a [ReadProblem],
        safety: &'a SafetySettings,
        owned_active: usize,
        deactivations: usize,
        force: bool,
    ) -> GuardInput<'a> {
        GuardInput {
            read,
            problems,
            run_started: "2026-06-01T10:00:00Z".parse().unwrap(),
            owned_active,
            deactivations,
            safety,
            force,
        }
    }

    const FRESH: &str = "2026-06-01T10:00:01.000Z";

    #[test]
    fn an_incomplete_read_holds_every_deactivation_even_when_forced() {
        let safety = SafetySettings::default();
        let read = status(false, FRESH);
        for force in [false, true] {
            let held = holds(input(Some(&read), &[], &safety, 100, 1, force));
            assert_eq!(held.len(), 1);
            assert_eq!(held[0].code, "read_incomplete");
            assert!(
                held[0]
                    .message
                    .starts_with("The read of Entra did not finish")
            );
        }
        assert_eq!(
            holds(input(None, &[], &safety, 100, 1, true))[0].code,
            "never_read"
        );
    }

    #[test]
    fn a_missing_scope_group_or_a_stale_cache_holds_them() {
        let safety = SafetySettings::default();
        let read = status(true, FRESH);
        let problems = [ReadProblem {
            code: "group_not_found".into(),
            message: "The include group 1 does not exist in this tenant.".into(),
        }];
        let held = holds(input(Some(&read), &problems, &safety, 100, 1, true));
        assert_eq!(held[0].code, "scope_group_missing");
        let old = status(true, "2026-06-01T09:59:59Z");
        let held = holds(input(Some(&old), &[], &safety, 100, 1, true));
        assert_eq!(held[0].code, "cache_stale");
    }

    #[test]
    fn a_64_percent_drop_is_held_and_force_lets_it_through() {
        let safety = SafetySettings::default();
        let read = status(true, FRESH);
        let held = holds(input(Some(&read), &[], &safety, 100, 64, false));
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].code, "too_large_share");
        assert!(
            held[0]
                .message
                .starts_with("This would switch off 64% of accounts"),
            "{}",
            held[0].message
        );
        assert_eq!(held[0].accounts, 64);
        assert!(holds(input(Some(&read), &[], &safety, 100, 64, true)).is_empty());
        assert!(holds(input(Some(&read), &[], &safety, 100, 20, false)).is_empty());
        assert!(!holds(input(Some(&read), &[], &safety, 1000, 201, false)).is_empty());
        let few = SafetySettings {
            max_deactivations: 3,
            max_deactivation_percent: 100,
        };
        assert_eq!(
            holds(input(Some(&read), &[], &few, 100, 4, false))[0].code,
            "too_many"
        );
        assert!(holds(input(Some(&read), &[], &safety, 100, 0, false)).is_empty());
    }
}
