//! What Rollcall tells the admin when nobody is watching the window: a run that failed,
//! held deactivations back or could not start, and a client secret about to expire (30,
//! 14, 7 and 1 days before, and once it has, each reminder once); and the `Notifier`s that
//! carry a notice (the desktop's notification service, or a list in tests). The email
//! report is `mail`'s.

use std::sync::Mutex;

use chrono::NaiveDate;
use serde::Serialize;

use crate::sync::SyncReport;

/// The days before a secret's expiry at which a reminder goes out, most distant first; 0
/// stands for "expired".
pub const REMIND_AT_DAYS: [i64; 5] = [30, 14, 7, 1, 0];

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A run stopped, could not write some people, or could not read Entra.
    RunFailed,
    /// The guard held deactivations back.
    DeactivationsHeld,
    /// A run that never started (switched off, no token, a secret that cannot be used).
    RunNotStarted,
    /// The client secret expires soon.
    SecretExpiring,
    /// The client secret has expired.
    SecretExpired,
}

/// One thing to tell the admin: a title and a few plain sentences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// The connection it is about.
    pub connection: String,
    pub kind: NoticeKind,
    pub title: String,
    pub body: String,
}

/// Something that carries notices to the admin.
pub trait Notifier: Send + Sync {
    /// Shows `notice`; `Err` says in words why it could not be shown.
    fn notify(&self, notice: &Notice) -> Result<(), String>;
}

/// Shows notices through the desktop's notification service (on Linux the
/// `org.freedesktop.Notifications` service on the session bus; Notification Center on
/// macOS; the action center on Windows).
#[derive(Debug, Default, Clone, Copy)]
pub struct DesktopNotifier;

impl Notifier for DesktopNotifier {
    fn notify(&self, notice: &Notice) -> Result<(), String> {
        let mut notification = notify_rust::Notification::new();
        notification
            .appname("Rollcall")
            .summary(&notice.title)
            .body(&notice.body);
        #[cfg(all(unix, not(target_os = "macos")))]
        notification.urgency(match notice.kind {
            NoticeKind::RunFailed | NoticeKind::RunNotStarted | NoticeKind::SecretExpired => {
                notify_rust::Urgency::Critical
            }
            _ => notify_rust::Urgency::Normal,
        });
        notification.show().map(|_| ()).map_err(|error| {
            format!(
                "The desktop notification could not be shown ({error}). Check that notifications are allowed for Rollcall."
            )
        })
    }
}

/// Keeps the notices it is given, for tests and for hosts that show them themselves.
#[derive(Debug, Default)]
pub struct MemoryNotifier {
    sent: Mutex<Vec<Notice>>,
}

impl MemoryNotifier {
    /// The notices so far, oldest first.
    pub fn sent(&self) -> Vec<Notice> {
        self.sent
            .lock()
            .map(|sent| sent.clone())
            .unwrap_or_default()
    }
}

impl Notifier for MemoryNotifier {
    fn notify(&self, notice: &Notice) -> Result<(), String> {
        match self.sent.lock() {
            Ok(mut sent) => {
                sent.push(notice.clone());
                Ok(())
            }
            Err(_) => Err("the list of notices could not be used".into()),
        }
    }
}

/// A notifier that shows nothing (a host that has asked for no notices).
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Notifier for Silent {
    fn notify(&self, _notice: &Notice) -> Result<(), String> {
        Ok(())
    }
}

/// What to tell the admin about a finished run, if anything: a failure first, held
/// deactivations next; nothing for a run that went through, or for a dry run.
pub fn for_run(connection: &str, report: &SyncReport) -> Option<Notice> {
    if report.dry_run {
        return None;
    }
    if report.failed() {
        let mut reasons: Vec<String> = Vec::new();
        if let Some(stopped) = &report.stopped {
            reasons.push(stopped.clone());
        }
        if let Some(problem) = report.read_incomplete() {
            reasons.push(problem.message.clone());
        }
        if !report.errors.is_empty() {
            reasons.push(match report.errors.len() {
                1 => "1 person could not be synced.".to_string(),
                count => format!("{count} people could not be synced."),
            });
        }
        if let Some(skipped) = &report.deactivations_skipped {
            reasons.push(skipped.clone());
        }
        return Some(Notice {
            connection: connection.to_string(),
            kind: NoticeKind::RunFailed,
            title: format!("Rollcall: the sync of \"{connection}\" had problems"),
            body: format!(
                "{} Open Rollcall and look at run {} in the history.",
                reasons.join(" "),
                report.run
            ),
        });
    }
    if !report.blocked.is_empty() {
        let held: usize = report.blocked.iter().map(|hold| hold.accounts).sum();
        let why: Vec<&str> = report
            .blocked
            .iter()
            .map(|hold| hold.message.as_str())
            .collect();
        return Some(Notice {
            connection: connection.to_string(),
            kind: NoticeKind::DeactivationsHeld,
            title: format!(
                "Rollcall held back {} for \"{connection}\"",
                plural(held, "deactivation", "deactivations")
            ),
            body: format!(
                "{} Nobody was switched off. Open Rollcall to look at who would be, and allow it for one run if it is right.",
                why.join(" ")
            ),
        });
    }
    None
}

/// What to tell the admin about a run that did not start at all.
pub fn for_refused_run(connection: &str, message: &str) -> Notice {
    Notice {
        connection: connection.to_string(),
        kind: NoticeKind::RunNotStarted,
        title: format!("Rollcall: the scheduled sync of \"{connection}\" did not run"),
        body: message.to_string(),
    }
}

/// The reminder due for a secret expiring on `expires`, seen on `today`, given the reminders
/// already sent for that date (`sent`, as days of `REMIND_AT_DAYS`): the nearest threshold
/// reached, unless it or a nearer one was sent. After weeks without a run only the nearest
/// reminder goes out, not every one missed.
pub fn reminder_due(expires: NaiveDate, today: NaiveDate, sent: &[i64]) -> Option<i64> {
    let days_left = (expires - today).num_days();
    let reached = REMIND_AT_DAYS
        .iter()
        .copied()
        .filter(|&threshold| days_left <= threshold)
        .min()?;
    if sent.iter().any(|&done| done <= reached) {
        None
    } else {
        Some(reached)
    }
}

/// The reminder itself.
pub fn expiry_reminder(connection: &str, expires: NaiveDate, today: NaiveDate) -> Notice {
    let days_left = (expires - today).num_days();
    let renew = "Create a new client secret for the app in the Microsoft Entra admin center (App registrations → your app → Certificates & secrets), then paste its value into the connection in Rollcall.";
    if days_left < 0 {
        Notice {
            connection: connection.to_string(),
            kind: NoticeKind::SecretExpired,
            title: format!("Rollcall: the client secret of \"{connection}\" has expired"),
            body: format!(
                "It expired on {expires}, so \"{connection}\" can no longer read Entra and its syncs stop. {renew}"
            ),
        }
    } else {
        let when = match days_left {
            0 => "today".to_string(),
            1 => "tomorrow".to_string(),
            days => format!("in {days} days"),
        };
        Notice {
            connection: connection.to_string(),
            kind: NoticeKind::SecretExpiring,
            title: format!("Rollcall: the client secret of \"{connection}\" expires {when}"),
            body: format!(
                "It expires on {expires}; after that \"{connection}\" can no longer read Entra and its syncs stop. {renew}"
            ),
        }
    }
}

fn plural(count: usize, one: &str, many: &str) -> String {
    if count == 1 {
        format!("1 {one}")
    } else {
        format!("{count} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    /// Runs every day from `from` to `to`, sending what is due, and returns the days a
    /// reminder went out with its threshold.
    fn daily(expires: NaiveDate, from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, i64)> {
        let mut sent = Vec::new();
        let mut out = Vec::new();
        let mut today = from;
        while today <= to {
            if let Some(threshold) = reminder_due(expires, today, &sent) {
                sent.push(threshold);
                out.push((today, threshold));
            }
            today = today.succ_opt().unwrap();
        }
        out
    }

    #[test]
    fn reminders_go_out_30_14_7_and_1_days_before_and_on_expiry_once_each() {
        let expires = day("2027-03-31");
        let sent = daily(expires, day("2027-01-01"), day("2027-05-01"));
        assert_eq!(
            sent,
            vec![
                (day("2027-03-01"), 30),
                (day("2027-03-17"), 14),
                (day("2027-03-24"), 7),
                (day("2027-03-30"), 1),
                (day("2027-03-31"), 0),
            ]
        );
    }

    #[test]
    fn after_weeks_without_a_run_only_the_nearest_reminder_goes_out() {
        let expires = day("2027-03-31");
        // Nothing ran between 1 March and 28 March: on the 28th only the 7-day reminder.
        let mut sent = vec![30];
        assert_eq!(reminder_due(expires, day("2027-03-28"), &sent), Some(7));
        sent.push(7);
        assert_eq!(reminder_due(expires, day("2027-03-29"), &sent), None);
        assert_eq!(reminder_due(expires, day("2027-03-30"), &sent), Some(1));
        // Far from expiry: nothing.
        assert_eq!(reminder_due(expires, day("2027-02-28"), &[]), None);
        // Long expired and never told: told once.
        assert_eq!(reminder_due(expires, day("2027-06-01"), &[]), Some(0));
        assert_eq!(reminder_due(expires, day("2027-06-02"), &[0]), None);
    }

    #[test]
    fn reminders_say_when_in_words() {
        let expires = day("2027-03-31");
        let notice = expiry_reminder("staff", expires, day("2027-03-30"));
        assert_eq!(notice.kind, NoticeKind::SecretExpiring);
        assert!(
            notice.title.ends_with("expires tomorrow"),
            "{}",
            notice.title
        );
        let notice = expiry_reminder("staff", expires, day("2027-03-17"));
        assert!(notice.title.ends_with("in 14 days"), "{}", notice.title);
        let notice = expiry_reminder("staff", expires, day("2027-04-02"));
        assert_eq!(notice.kind, NoticeKind::SecretExpired);
        assert!(notice.body.contains("2027-03-31"), "{}", notice.body);
    }
}
