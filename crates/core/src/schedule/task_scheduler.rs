//! The Windows Task Scheduler task a schedule is registered as: a per-user task (it runs as
//! the admin who set it, with their keychain) that starts when available after a missed
//! run, ignores a new instance while one runs and neither waits for nor stops on battery;
//! a daily or weekly calendar trigger, or a trigger repeating at the interval. Task
//! Scheduler reads the trigger's time in the computer's own time zone.

use super::{Rule, Schedule, ScheduledCommand, format_time, xml_escape};

/// The task's name: `Rollcall sync <name>`, with the characters Task Scheduler refuses in a
/// name (`\ / : * ? " < > |`) written as `_`.
pub fn task_name(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| match c {
            '\\' | '/' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    format!("Rollcall sync {safe}")
}

/// One argument as Windows programs read their command line: quoted when it holds a space,
/// a tab or a quote (or is empty), with backslashes before a quote doubled.
fn windows_argument(text: &str) -> String {
    if !text.is_empty() && !text.contains([' ', '\t', '"']) {
        return text.to_string();
    }
    let mut quoted = String::from("\"");
    let mut backslashes = 0;
    for c in text.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                quoted.push_str(&"\\".repeat(backslashes * 2 + 1));
                quoted.push('"');
                backslashes = 0;
            }
            c => {
                quoted.push_str(&"\\".repeat(backslashes));
                quoted.push(c);
                backslashes = 0;
            }
        }
    }
    quoted.push_str(&"\\".repeat(backslashes * 2));
    quoted.push('"');
    quoted
}

/// The task's XML, as `schtasks /Create /XML` takes it.
pub fn task_scheduler_xml(schedule: &Schedule, command: &ScheduledCommand) -> String {
    let trigger = match schedule.rule {
        Rule::Every { minutes } => format!(
            "    <TimeTrigger>\n      <StartBoundary>2026-01-01T00:00:00</StartBoundary>\n      <Repetition>\n        <Interval>PT{minutes}M</Interval>\n        <StopAtDurationEnd>false</StopAtDurationEnd>\n      </Repetition>\n      <Enabled>true</Enabled>\n    </TimeTrigger>\n"
        ),
        Rule::Daily(time) => format!(
            "    <CalendarTrigger>\n      <StartBoundary>2026-01-01T{}:00</StartBoundary>\n      <Enabled>true</Enabled>\n      <ScheduleByDay>\n        <DaysInterval>1</DaysInterval>\n      </ScheduleByDay>\n    </CalendarTrigger>\n",
            format_time(time)
        ),
        Rule::Weekdays(time) => format!(
            "    <CalendarTrigger>\n      <StartBoundary>2026-01-01T{}:00</StartBoundary>\n      <Enabled>true</Enabled>\n      <ScheduleByWeek>\n        <DaysOfWeek>\n          <Monday />\n          <Tuesday />\n          <Wednesday />\n          <Thursday />\n          <Friday />\n        </DaysOfWeek>\n        <WeeksInterval>1</WeeksInterval>\n      </ScheduleByWeek>\n    </CalendarTrigger>\n",
            format_time(time)
        ),
    };
    let arguments = command
        .arguments()
        .iter()
        .map(|word| windows_argument(word))
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Task version=\"1.2\" xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">\n  <RegistrationInfo>\n    <Author>Rollcall</Author>\n    <Description>Rollcall: sync &quot;{name}&quot; {rule}. Change it in Rollcall, not here.</Description>\n    <URI>\\Rollcall\\{task}</URI>\n  </RegistrationInfo>\n  <Triggers>\n{trigger}  </Triggers>\n  <Principals>\n    <Principal id=\"Author\">\n      <LogonType>InteractiveToken</LogonType>\n      <RunLevel>LeastPrivilege</RunLevel>\n    </Principal>\n  </Principals>\n  <Settings>\n    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>\n    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>\n    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>\n    <StartWhenAvailable>true</StartWhenAvailable>\n    <RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable>\n    <WakeToRun>false</WakeToRun>\n    <Enabled>true</Enabled>\n    <Hidden>false</Hidden>\n  </Settings>\n  <Actions Context=\"Author\">\n    <Exec>\n      <Command>{program}</Command>\n      <Arguments>{arguments}</Arguments>\n    </Exec>\n  </Actions>\n</Task>\n",
        name = xml_escape(&command.name),
        rule = xml_escape(&schedule.describe()),
        task = xml_escape(&task_name(&command.name)),
        program = xml_escape(&command.program.to_string_lossy()),
        arguments = xml_escape(&arguments),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_quoted_as_windows_programs_read_them() {
        assert_eq!(windows_argument("school"), "school");
        assert_eq!(windows_argument("a b"), "\"a b\"");
        assert_eq!(windows_argument(""), "\"\"");
        assert_eq!(windows_argument("say \"hi\""), "\"say \\\"hi\\\"\"");
        assert_eq!(
            windows_argument("C:\\Data Folder\\"),
            "\"C:\\Data Folder\\\\\""
        );
    }

    #[test]
    fn task_names_leave_out_what_task_scheduler_refuses() {
        assert_eq!(task_name("a/b:c"), "Rollcall sync a_b_c");
    }
}
