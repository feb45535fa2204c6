//! Schedules: when a connection syncs on its own. The rule ([`Rule`]: every so many minutes,
//! daily at a time, weekdays at a time), the time zone its times are read in and the
//! connection it runs after ([`Schedule`]); the profile's `[schedule]` table
//! ([`ScheduleSettings`]) and the parsing of "90m", "1h30m" and "02:00". The next run is
//! worked out in `next_run`; what is registered with the operating system in `systemd`,
//! `launchd` and `task_scheduler`, and registered through `os`.

mod launchd;
mod next_run;
mod os;
mod systemd;
mod task_scheduler;

use chrono::{NaiveTime, Timelike};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

pub use launchd::{launchd_label, launchd_plist};
pub use next_run::{next_run, next_run_in};
pub use os::{
    FolderScheduler, Launchd, MemoryScheduler, OsScheduler, RegisterError, Registered, SystemdUser,
    TaskScheduler, os_scheduler,
};
pub use systemd::{systemd_escape, systemd_service, systemd_timer, systemd_unit_name};
pub use task_scheduler::{task_name, task_scheduler_xml};

/// The shortest interval a schedule may have, in minutes.
pub const MIN_INTERVAL_MINUTES: u32 = 5;
/// The longest interval a schedule may have, in minutes (7 days).
pub const MAX_INTERVAL_MINUTES: u32 = 7 * 24 * 60;

/// When a connection syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Every so many minutes, counted from the last run.
    Every { minutes: u32 },
    /// Every day at this local time.
    Daily(NaiveTime),
    /// Monday to Friday at this local time.
    Weekdays(NaiveTime),
}

/// A connection's schedule: its rule, the time zone its times are in (the computer's own
/// when `None`) and the connection it runs after, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub rule: Rule,
    pub time_zone: Option<Tz>,
    pub after: Option<String>,
}

impl Schedule {
    /// The time zone the schedule's times are read in: its own, or this computer's.
    pub fn zone(&self) -> Tz {
        self.time_zone.unwrap_or_else(system_zone)
    }

    /// The rule in words: "every 1h30m", "daily at 02:00", "weekdays at 07:30".
    pub fn describe(&self) -> String {
        match self.rule {
            Rule::Every { minutes } => format!("every {}", format_interval(minutes)),
            Rule::Daily(time) => format!("daily at {}", format_time(time)),
            Rule::Weekdays(time) => format!("weekdays (Monday to Friday) at {}", format_time(time)),
        }
    }

    /// The schedule as the profile's `[schedule]` table, in its canonical spelling.
    pub fn settings(&self) -> ScheduleSettings {
        let mut settings = ScheduleSettings {
            time_zone: self.time_zone.map(|zone| zone.name().to_string()),
            after: self.after.clone(),
            ..ScheduleSettings::default()
        };
        match self.rule {
            Rule::Every { minutes } => settings.every = Some(format_interval(minutes)),
            Rule::Daily(time) => settings.daily = Some(format_time(time)),
            Rule::Weekdays(time) => settings.weekdays = Some(format_time(time)),
        }
        settings
    }
}

/// This computer's time zone, by its IANA name; UTC when the system names none Rollcall
/// knows.
pub fn system_zone() -> Tz {
    iana_time_zone::get_timezone()
        .ok()
        .and_then(|name| name.parse::<Tz>().ok())
        .unwrap_or(Tz::UTC)
}

/// The `[schedule]` table of a profile: one of `every`, `daily` or `weekdays`, and
/// optionally `time_zone` and `after`.
///
/// ```toml
/// [schedule]
/// daily = "02:00"
/// time_zone = "Europe/London"
/// after = "staff"
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSettings {
    /// An interval: "90m", "2h", "1h30m" (at least 5 minutes, at most 7 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<String>,
    /// A time of day, 24-hour: "02:00".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily: Option<String>,
    /// A time on Monday to Friday, 24-hour: "07:30".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekdays: Option<String>,
    /// An IANA time zone name ("Europe/London"); this computer's zone when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Another connection this one runs after (its run waits while that one is running).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// A problem with a schedule, naming the key it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ScheduleProblem {
    /// The `[schedule]` key (or command-line option without its dashes) at fault.
    pub key: &'static str,
    pub message: String,
}

impl ScheduleProblem {
    fn new(key: &'static str, message: impl Into<String>) -> ScheduleProblem {
        ScheduleProblem {
            key,
            message: message.into(),
        }
    }
}

impl ScheduleSettings {
    /// The schedule these settings describe, or the first thing wrong with them.
    pub fn schedule(&self) -> Result<Schedule, ScheduleProblem> {
        let given: Vec<(&'static str, &String)> = [
            ("every", &self.every),
            ("daily", &self.daily),
            ("weekdays", &self.weekdays),
        ]
        .into_iter()
        .filter_map(|(key, value)| value.as_ref().map(|value| (key, value)))
        .collect();
        let rule = match given.as_slice() {
            [] => {
                return Err(ScheduleProblem::new(
                    "every",
                    "A schedule needs a rule: every = \"90m\", daily = \"02:00\" or weekdays = \"07:30\".",
                ));
            }
            [("every", text)] => Rule::Every {
                minutes: parse_interval(text)?,
            },
            [("daily", text)] => Rule::Daily(parse_time("daily", text)?),
            [(key, text)] => Rule::Weekdays(parse_time(key, text)?),
            [(first, _), (second, _), ..] => {
                return Err(ScheduleProblem::new(
                    second,
                    format!(
                        "A schedule has one rule, but both `{first}` and `{second}` are set. Keep one of them."
                    ),
                ));
            }
        };
        let time_zone = self.time_zone.as_deref().map(parse_time_zone).transpose()?;
        let after = match self.after.as_deref().map(str::trim) {
            None => None,
            Some("") => {
                return Err(ScheduleProblem::new(
                    "after",
                    "`after` is empty. Name the connection this one runs after, or leave it out.",
                ));
            }
            Some(name) => {
                if let Err(error) = crate::profile::check_name(name) {
                    return Err(ScheduleProblem::new("after", error.to_string()));
                }
                Some(name.to_string())
            }
        };
        Ok(Schedule {
            rule,
            time_zone,
            after,
        })
    }
}

/// Reads an interval: "90m", "2h", "1h30m" (also "90 min", "2 hours"), at least 5 minutes
/// and at most 7 days.
pub fn parse_interval(text: &str) -> Result<u32, ScheduleProblem> {
    let shape = || {
        ScheduleProblem::new(
            "every",
            format!(
                "every = \"{text}\" is not a length of time Rollcall understands. Write hours and minutes like \"90m\", \"2h\" or \"1h30m\"."
            ),
        )
    };
    let compact: String = text
        .trim()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if compact.starts_with('-') || compact.chars().all(|c| c == '0') && !compact.is_empty() {
        return Err(too_short(text));
    }
    let mut minutes: u64 = 0;
    let mut rest = compact.as_str();
    if rest.is_empty() {
        return Err(shape());
    }
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return Err(shape());
        }
        let (number, after) = rest.split_at(digits);
        let number: u64 = number.parse().map_err(|_| too_long(text))?;
        let unit_length = after.chars().take_while(char::is_ascii_alphabetic).count();
        let (unit, after) = after.split_at(unit_length);
        let factor = match unit {
            "m" | "min" | "mins" | "minute" | "minutes" => 1,
            "h" | "hr" | "hrs" | "hour" | "hours" => 60,
            "d" | "day" | "days" => 24 * 60,
            _ => return Err(shape()),
        };
        minutes = number
            .checked_mul(factor)
            .and_then(|part| minutes.checked_add(part))
            .ok_or_else(|| too_long(text))?;
        rest = after;
    }
    if minutes == 0 {
        return Err(too_short(text));
    }
    if minutes < u64::from(MIN_INTERVAL_MINUTES) {
        return Err(ScheduleProblem::new(
            "every",
            format!(
                "every = \"{text}\" is too often: a schedule runs at most every {MIN_INTERVAL_MINUTES} minutes. Use \"5m\" or more."
            ),
        ));
    }
    if minutes > u64::from(MAX_INTERVAL_MINUTES) {
        return Err(too_long(text));
    }
    u32::try_from(minutes).map_err(|_| too_long(text))
}

fn too_short(text: &str) -> ScheduleProblem {
    ScheduleProblem::new(
        "every",
        format!(
            "every = \"{text}\" is zero or less, so the schedule would never wait between runs. Use at least \"{MIN_INTERVAL_MINUTES}m\" (for example \"90m\" or \"24h\")."
        ),
    )
}

fn too_long(text: &str) -> ScheduleProblem {
    ScheduleProblem::new(
        "every",
        format!(
            "every = \"{text}\" is longer than 7 days. Use \"7d\" or less, or daily = \"02:00\" for once a day."
        ),
    )
}

/// Reads a 24-hour time of day, "02:00" or "7:30".
pub fn parse_time(key: &'static str, text: &str) -> Result<NaiveTime, ScheduleProblem> {
    let problem = |why: &str| {
        ScheduleProblem::new(
            key,
            format!(
                "{key} = \"{text}\" {why} Write a 24-hour time as HH:MM, for example \"02:00\" or \"19:30\"."
            ),
        )
    };
    let trimmed = text.trim();
    let Some((hours, minutes)) = trimmed.split_once(':') else {
        return Err(problem("is not a time of day."));
    };
    let number = |part: &str, limit: u32| {
        (!part.is_empty() && part.len() <= 2 && part.chars().all(|c| c.is_ascii_digit()))
            .then(|| part.parse::<u32>().ok())
            .flatten()
            .filter(|value| *value < limit)
    };
    let (Some(hour), Some(minute)) = (number(hours, 24), number(minutes, 60)) else {
        if hours.chars().all(|c| c.is_ascii_digit()) && minutes.chars().all(|c| c.is_ascii_digit())
        {
            return Err(problem(
                "is not a time on a clock (hours 00–23, minutes 00–59).",
            ));
        }
        return Err(problem("is not a time of day."));
    };
    NaiveTime::from_hms_opt(hour, minute, 0).ok_or_else(|| problem("is not a time of day."))
}

/// Reads an IANA time zone name.
pub fn parse_time_zone(text: &str) -> Result<Tz, ScheduleProblem> {
    text.trim().parse::<Tz>().map_err(|_| {
        ScheduleProblem::new(
            "time_zone",
            format!(
                "time_zone = \"{text}\" is not a time zone Rollcall knows. Use a name from the IANA list, such as \"Europe/London\" or \"America/New_York\"."
            ),
        )
    })
}

/// An interval in its canonical spelling: "45m", "2h", "1h30m".
pub fn format_interval(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, minutes) => format!("{minutes}m"),
        (hours, 0) => format!("{hours}h"),
        (hours, minutes) => format!("{hours}h{minutes}m"),
    }
}

/// A time of day as "HH:MM".
pub fn format_time(time: NaiveTime) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

/// What the operating system runs for a scheduled sync: the `rollcall` binary, the data
/// folder and the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledCommand {
    pub program: std::path::PathBuf,
    pub data_dir: std::path::PathBuf,
    pub name: String,
}

impl ScheduledCommand {
    /// The arguments after the program: `--data-dir DIR sync NAME --scheduled`.
    pub fn arguments(&self) -> Vec<String> {
        vec![
            "--data-dir".into(),
            self.data_dir.to_string_lossy().into_owned(),
            "sync".into(),
            self.name.clone(),
            "--scheduled".into(),
        ]
    }
}

/// What is registered with the operating system for one connection: its files, each with
/// its name and text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registration {
    /// The scheduler: "systemd", "launchd" or "task-scheduler".
    pub scheduler: &'static str,
    pub files: Vec<RegisteredFile>,
}

/// One file of a [`Registration`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisteredFile {
    pub name: String,
    pub text: String,
}

/// The systemd user units for a schedule: the `.service` and its `.timer`.
pub fn systemd_registration(schedule: &Schedule, command: &ScheduledCommand) -> Registration {
    let unit = systemd_unit_name(&command.name);
    Registration {
        scheduler: "systemd",
        files: vec![
            RegisteredFile {
                name: format!("{unit}.service"),
                text: systemd_service(schedule, command),
            },
            RegisteredFile {
                name: format!("{unit}.timer"),
                text: systemd_timer(schedule, &command.name),
            },
        ],
    }
}

/// The launchd LaunchAgent for a schedule.
pub fn launchd_registration(schedule: &Schedule, command: &ScheduledCommand) -> Registration {
    Registration {
        scheduler: "launchd",
        files: vec![RegisteredFile {
            name: format!("{}.plist", launchd_label(&command.name)),
            text: launchd_plist(schedule, command),
        }],
    }
}

/// The Task Scheduler task for a schedule.
pub fn task_scheduler_registration(
    schedule: &Schedule,
    command: &ScheduledCommand,
) -> Registration {
    Registration {
        scheduler: "task-scheduler",
        files: vec![RegisteredFile {
            name: format!("{}.xml", task_name(&command.name)),
            text: task_scheduler_xml(schedule, command),
        }],
    }
}

/// Escapes text for an XML element or attribute value.
pub(crate) fn xml_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            // XML 1.0 cannot hold other control characters at all.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => escaped.push(' '),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_as_people_write_them() {
        assert_eq!(parse_interval("90m"), Ok(90));
        assert_eq!(parse_interval("2h"), Ok(120));
        assert_eq!(parse_interval("1h30m"), Ok(90));
        assert_eq!(parse_interval(" 1H 30M "), Ok(90));
        assert_eq!(parse_interval("40 minutes"), Ok(40));
        assert_eq!(parse_interval("7d"), Ok(MAX_INTERVAL_MINUTES));
        assert_eq!(format_interval(90), "1h30m");
        assert_eq!(format_interval(120), "2h");
        assert_eq!(format_interval(45), "45m");
    }

    #[test]
    fn zero_short_long_and_garbled_intervals_say_what_to_write() {
        for zero in ["0m", "0", "-5m", "0h0m"] {
            let problem = parse_interval(zero).unwrap_err();
            assert_eq!(problem.key, "every");
            assert!(
                problem.message.contains("zero or less") && problem.message.contains(zero),
                "{zero}: {problem}"
            );
        }
        assert!(
            parse_interval("4m")
                .unwrap_err()
                .message
                .contains("too often")
        );
        assert!(
            parse_interval("8d")
                .unwrap_err()
                .message
                .contains("longer than 7 days")
        );
        assert!(
            parse_interval("99999999999999999999m")
                .unwrap_err()
                .message
                .contains("longer than 7 days")
        );
        for garbled in ["", "90x", "h", "1.5h", "soon"] {
            let problem = parse_interval(garbled).unwrap_err();
            assert!(
                problem.message.contains("\"1h30m\""),
                "{garbled}: {problem}"
            );
        }
    }

    #[test]
    fn times_are_24_hour_clock_times() {
        assert_eq!(
            parse_time("daily", "02:00"),
            Ok(NaiveTime::from_hms_opt(2, 0, 0).unwrap())
        );
        assert_eq!(
            parse_time("weekdays", "7:30"),
            Ok(NaiveTime::from_hms_opt(7, 30, 0).unwrap())
        );
        let problem = parse_time("daily", "25:00").unwrap_err();
        assert!(problem.message.contains("hours 00–23"), "{problem}");
        let problem = parse_time("weekdays", "7.30pm").unwrap_err();
        assert_eq!(problem.key, "weekdays");
        assert!(problem.message.contains("HH:MM"), "{problem}");
        assert!(parse_time("daily", "2:5:0").is_err());
    }

    #[test]
    fn settings_hold_one_rule_a_known_zone_and_a_connection_name() {
        let settings = ScheduleSettings {
            daily: Some("02:00".into()),
            time_zone: Some("Europe/London".into()),
            after: Some("staff".into()),
            ..ScheduleSettings::default()
        };
        let schedule = settings.schedule().unwrap();
        assert_eq!(schedule.zone(), Tz::Europe__London);
        assert_eq!(schedule.describe(), "daily at 02:00");
        assert_eq!(schedule.settings(), settings);

        let two = ScheduleSettings {
            every: Some("90m".into()),
            weekdays: Some("07:30".into()),
            ..ScheduleSettings::default()
        };
        assert_eq!(two.schedule().unwrap_err().key, "weekdays");
        assert!(ScheduleSettings::default().schedule().is_err());
        let zone = ScheduleSettings {
            time_zone: Some("Europe/Lundon".into()),
            ..settings.clone()
        };
        let problem = zone.schedule().unwrap_err();
        assert_eq!(problem.key, "time_zone");
        assert!(problem.message.contains("Europe/Lundon"), "{problem}");
        let after = ScheduleSettings {
            after: Some("../staff".into()),
            ..settings
        };
        assert_eq!(after.schedule().unwrap_err().key, "after");
    }

    #[test]
    fn xml_text_is_escaped() {
        assert_eq!(
            xml_escape("a & <b> 'c' \"d\"\u{1}"),
            "a &amp; &lt;b&gt; &apos;c&apos; &quot;d&quot; "
        );
    }
}
