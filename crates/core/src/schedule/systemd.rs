//! The systemd user units a schedule is registered as on Linux: `rollcall-sync-<name>.service`
//! (one run of `rollcall sync NAME --scheduled`) and its `.timer` (`OnCalendar=` for daily
//! and weekday times, `OnBootSec=`/`OnUnitActiveSec=` for intervals, `Persistent=true` so a
//! run missed while the computer was off happens when it is back). Names are escaped by
//! systemd-escape's rules; arguments are quoted for `ExecStart=`.

use super::{Rule, Schedule, ScheduledCommand, format_time};

/// Escapes text for a unit name as `systemd-escape` does: `/` becomes `-`; letters, digits,
/// `:`, `_` and `.` (but not a leading `.`) stay; every other byte becomes `\xNN`.
pub fn systemd_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for (index, byte) in text.bytes().enumerate() {
        match byte {
            b'/' => escaped.push('-'),
            b'.' if index == 0 => escaped.push_str("\\x2e"),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b':' | b'_' | b'.' => {
                escaped.push(char::from(byte));
            }
            _ => escaped.push_str(&format!("\\x{byte:02x}")),
        }
    }
    escaped
}

/// The unit name (without `.service` or `.timer`) for a connection.
pub fn systemd_unit_name(name: &str) -> String {
    format!("rollcall-sync-{}", systemd_escape(name))
}

/// Text for a unit-file value where `%` starts a specifier: `%%` keeps it literal, and a
/// line break (which would end the setting) becomes a space.
fn plain_value(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .replace('%', "%%")
}

/// One `ExecStart=` word: double-quoted, with `\`, `"`, `%` and `$` kept literal.
fn exec_word(text: &str) -> String {
    let mut quoted = String::from("\"");
    for c in text.chars() {
        match c {
            '\\' => quoted.push_str("\\\\"),
            '"' => quoted.push_str("\\\""),
            '%' => quoted.push_str("%%"),
            '$' => quoted.push_str("$$"),
            c if c.is_control() => quoted.push(' '),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// The `.service` unit: one scheduled run.
pub fn systemd_service(schedule: &Schedule, command: &ScheduledCommand) -> String {
    let mut exec = vec![exec_word(&command.program.to_string_lossy())];
    exec.extend(command.arguments().iter().map(|word| exec_word(word)));
    let mut text = format!(
        "# Written by Rollcall: the scheduled sync of \"{name}\". Change it in Rollcall, not here.\n[Unit]\nDescription=Rollcall: sync \"{name}\"\n",
        name = plain_value(&command.name)
    );
    if let Some(after) = &schedule.after {
        text.push_str(&format!("After={}.service\n", systemd_unit_name(after)));
    }
    text.push_str(&format!(
        "\n[Service]\nType=oneshot\nExecStart={}\n",
        exec.join(" ")
    ));
    text
}

/// The `.timer` unit: when the service runs.
pub fn systemd_timer(schedule: &Schedule, name: &str) -> String {
    let zone = schedule
        .time_zone
        .map(|zone| format!(" {}", zone.name()))
        .unwrap_or_default();
    let when = match schedule.rule {
        Rule::Every { minutes } => format!(
            "OnBootSec={first}min\nOnUnitActiveSec={minutes}min\n",
            first = minutes.min(super::MIN_INTERVAL_MINUTES)
        ),
        Rule::Daily(time) => format!("OnCalendar=*-*-* {}:00{zone}\n", format_time(time)),
        Rule::Weekdays(time) => {
            format!("OnCalendar=Mon..Fri *-*-* {}:00{zone}\n", format_time(time))
        }
    };
    format!(
        "# Written by Rollcall: when \"{shown}\" syncs ({rule}). Change it in Rollcall, not here.\n[Unit]\nDescription=Rollcall: sync \"{shown}\" {rule}\n\n[Timer]\n{when}Persistent=true\nAccuracySec=1min\nUnit={unit}.service\n\n[Install]\nWantedBy=timers.target\n",
        shown = plain_value(name),
        rule = plain_value(&schedule.describe()),
        unit = systemd_unit_name(name),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_as_systemd_escape_does() {
        assert_eq!(systemd_escape("school"), "school");
        assert_eq!(
            systemd_escape("a b-c/d.e&<>'\"é"),
            "a\\x20b\\x2dc-d.e\\x26\\x3c\\x3e\\x27\\x22\\xc3\\xa9"
        );
        assert_eq!(systemd_escape(".hidden"), "\\x2ehidden");
        assert_eq!(
            systemd_unit_name("contoso-moodle"),
            "rollcall-sync-contoso\\x2dmoodle"
        );
    }

    #[test]
    fn exec_words_keep_quotes_specifiers_and_variables_literal() {
        assert_eq!(exec_word("a b"), "\"a b\"");
        assert_eq!(exec_word("50% \"$HOME\"\\"), "\"50%% \\\"$$HOME\\\"\\\\\"");
    }
}
