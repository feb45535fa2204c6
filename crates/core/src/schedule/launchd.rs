//! The launchd LaunchAgent a schedule is registered as on macOS
//! (`~/Library/LaunchAgents/com.rollcall.sync.<name>.plist`): `StartCalendarInterval` for
//! daily and weekday times (launchd runs a time missed while the Mac slept when it wakes),
//! `StartInterval` for intervals. launchd reads calendar times in the Mac's own time zone.

use chrono::Timelike;

use super::{Rule, Schedule, ScheduledCommand, xml_escape};

/// The agent's label, also its file name without `.plist`: `com.rollcall.sync.<name>`, the
/// name kept as it is when it is letters, digits, `-`, `_` and `.` (as every
/// profile name is), and every other byte written as `_xNN`.
pub fn launchd_label(name: &str) -> String {
    let mut label = String::from("com.rollcall.sync.");
    for byte in name.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                label.push(char::from(byte));
            }
            _ => label.push_str(&format!("_x{byte:02x}")),
        }
    }
    label
}

fn calendar_entry(hour: u32, minute: u32, weekday: Option<u32>) -> String {
    let mut entry = String::from("\t\t<dict>\n");
    entry.push_str(&format!(
        "\t\t\t<key>Hour</key>\n\t\t\t<integer>{hour}</integer>\n\t\t\t<key>Minute</key>\n\t\t\t<integer>{minute}</integer>\n"
    ));
    if let Some(weekday) = weekday {
        entry.push_str(&format!(
            "\t\t\t<key>Weekday</key>\n\t\t\t<integer>{weekday}</integer>\n"
        ));
    }
    entry.push_str("\t\t</dict>\n");
    entry
}

/// The LaunchAgent property list.
pub fn launchd_plist(schedule: &Schedule, command: &ScheduledCommand) -> String {
    let mut arguments = format!(
        "\t\t<string>{}</string>\n",
        xml_escape(&command.program.to_string_lossy())
    );
    for word in command.arguments() {
        arguments.push_str(&format!("\t\t<string>{}</string>\n", xml_escape(&word)));
    }
    let when = match schedule.rule {
        Rule::Every { minutes } => format!(
            "\t<key>StartInterval</key>\n\t<integer>{}</integer>\n",
            u64::from(minutes) * 60
        ),
        Rule::Daily(time) => format!(
            "\t<key>StartCalendarInterval</key>\n\t<array>\n{}\t</array>\n",
            calendar_entry(time.hour(), time.minute(), None)
        ),
        Rule::Weekdays(time) => format!(
            "\t<key>StartCalendarInterval</key>\n\t<array>\n{}\t</array>\n",
            (1..=5)
                .map(|weekday| calendar_entry(time.hour(), time.minute(), Some(weekday)))
                .collect::<String>()
        ),
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<!-- Written by Rollcall: the scheduled sync of \"{comment}\". Change it in Rollcall, not here. -->\n<plist version=\"1.0\">\n<dict>\n\t<key>Label</key>\n\t<string>{label}</string>\n\t<key>ProgramArguments</key>\n\t<array>\n{arguments}\t</array>\n{when}\t<key>RunAtLoad</key>\n\t<false/>\n\t<key>ProcessType</key>\n\t<string>Background</string>\n</dict>\n</plist>\n",
        comment = xml_escape(&command.name).replace("--", "- -"),
        label = xml_escape(&launchd_label(&command.name)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_keep_plain_names_and_encode_the_rest() {
        assert_eq!(
            launchd_label("contoso-moodle"),
            "com.rollcall.sync.contoso-moodle"
        );
        assert_eq!(launchd_label("a b/&"), "com.rollcall.sync.a_x20b_x2f_x26");
    }
}
