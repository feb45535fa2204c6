//! What is registered with the operating system: the systemd units, the launchd plist and
//! the Task Scheduler XML, compared with the golden files in `golden/`
//! (`ROLLCALL_WRITE_GOLDEN=1` writes them again), checked by `systemd-analyze verify` where
//! this machine has it, and parsed as a plist and as XML.

use std::path::{Path, PathBuf};
use std::process::Command;

use rollcall_core::schedule::{
    Registration, Schedule, ScheduleSettings, ScheduledCommand, launchd_registration,
    systemd_registration, task_scheduler_registration,
};

const HOSTILE: &str = "Ada's \"A&B\" <school> 50% $HOME";

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schedule/golden")
}

fn schedule(settings: ScheduleSettings) -> Schedule {
    settings.schedule().unwrap()
}

/// The three kinds of rule, as cases: (golden file stem, schedule, connection name).
fn cases() -> Vec<(&'static str, Schedule, &'static str)> {
    vec![
        (
            "every-90m",
            schedule(ScheduleSettings {
                every: Some("90m".into()),
                ..ScheduleSettings::default()
            }),
            "school",
        ),
        (
            "daily-london",
            schedule(ScheduleSettings {
                daily: Some("02:00".into()),
                time_zone: Some("Europe/London".into()),
                ..ScheduleSettings::default()
            }),
            "contoso-moodle",
        ),
        (
            "weekdays-after",
            schedule(ScheduleSettings {
                weekdays: Some("07:30".into()),
                after: Some("staff".into()),
                ..ScheduleSettings::default()
            }),
            "pupils",
        ),
        (
            "hostile-name",
            schedule(ScheduleSettings {
                daily: Some("23:45".into()),
                time_zone: Some("America/New_York".into()),
                ..ScheduleSettings::default()
            }),
            HOSTILE,
        ),
    ]
}

fn command(name: &str, program: &Path) -> ScheduledCommand {
    ScheduledCommand {
        program: program.to_path_buf(),
        data_dir: PathBuf::from("/home/ada/.local/share/Rollcall Data"),
        name: name.to_string(),
    }
}

fn shown_program() -> PathBuf {
    PathBuf::from("/opt/Rollcall/bin/rollcall")
}

fn registrations(program: &Path) -> Vec<(&'static str, Registration)> {
    let mut all = Vec::new();
    for (stem, schedule, name) in cases() {
        let command = command(name, program);
        all.push((stem, systemd_registration(&schedule, &command)));
        all.push((stem, launchd_registration(&schedule, &command)));
        all.push((stem, task_scheduler_registration(&schedule, &command)));
    }
    all
}

/// The golden file for one generated file: `<case>.<extension>`.
fn golden_name(stem: &str, file: &str) -> String {
    let extension = file.rsplit('.').next().unwrap();
    format!("{stem}.{extension}")
}

#[test]
fn the_generated_files_match_the_golden_files() {
    let write = std::env::var_os("ROLLCALL_WRITE_GOLDEN").is_some_and(|value| value == "1");
    let folder = golden_dir();
    let mut stale = Vec::new();
    for (stem, registration) in registrations(&shown_program()) {
        for file in &registration.files {
            let path = folder.join(golden_name(stem, &file.name));
            if write {
                std::fs::create_dir_all(&folder).unwrap();
                std::fs::write(&path, &file.text).unwrap();
                continue;
            }
            let golden = std::fs::read_to_string(&path).unwrap_or_default();
            if golden != file.text {
                stale.push(format!("{}:\n{}", path.display(), file.text));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "generated files differ from the golden files (ROLLCALL_WRITE_GOLDEN=1 writes them again):\n{}",
        stale.join("\n")
    );
}

#[test]
fn the_rules_become_the_schedulers_own_settings() {
    let all = registrations(&shown_program());
    let text = |stem: &str, extension: &str| -> String {
        all.iter()
            .filter(|(case, _)| *case == stem)
            .flat_map(|(_, registration)| registration.files.iter())
            .find(|file| file.name.ends_with(extension))
            .map(|file| file.text.clone())
            .unwrap()
    };
    let timer = text("every-90m", ".timer");
    assert!(timer.contains("OnUnitActiveSec=90min\n"), "{timer}");
    assert!(timer.contains("OnBootSec=5min\n"), "{timer}");
    assert!(timer.contains("Persistent=true\n"), "{timer}");
    assert!(
        text("every-90m", ".plist").contains("<key>StartInterval</key>\n\t<integer>5400</integer>")
    );
    assert!(text("every-90m", ".xml").contains("<Interval>PT90M</Interval>"));

    let timer = text("daily-london", ".timer");
    assert!(
        timer.contains("OnCalendar=*-*-* 02:00:00 Europe/London\n"),
        "{timer}"
    );
    let service = text("daily-london", ".service");
    assert!(
        service.contains("ExecStart=\"/opt/Rollcall/bin/rollcall\" \"--data-dir\" \"/home/ada/.local/share/Rollcall Data\" \"sync\" \"contoso-moodle\" \"--scheduled\"\n"),
        "{service}"
    );
    assert!(text("daily-london", ".xml").contains("<ScheduleByDay>"));

    assert!(text("weekdays-after", ".timer").contains("OnCalendar=Mon..Fri *-*-* 07:30:00\n"));
    assert!(text("weekdays-after", ".service").contains("After=rollcall-sync-staff.service\n"));
    let plist = text("weekdays-after", ".plist");
    assert_eq!(plist.matches("<key>Weekday</key>").count(), 5, "{plist}");
    let xml = text("weekdays-after", ".xml");
    for setting in [
        "<MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>",
        "<StartWhenAvailable>true</StartWhenAvailable>",
        "<DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>",
        "<StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>",
        "<LogonType>InteractiveToken</LogonType>",
        "<Friday />",
    ] {
        assert!(xml.contains(setting), "{setting} missing:\n{xml}");
    }
    assert!(!xml.contains("<Saturday"));

    let names: Vec<String> = all
        .iter()
        .filter(|(case, _)| *case == "hostile-name")
        .flat_map(|(_, registration)| registration.files.iter().map(|file| file.name.clone()))
        .collect();
    assert!(
        names.contains(&"rollcall-sync-Ada\\x27s\\x20\\x22A\\x26B\\x22\\x20\\x3cschool\\x3e\\x2050\\x25\\x20\\x24HOME.timer".to_string()),
        "{names:?}"
    );
    for name in &names {
        assert!(
            !name.contains('/') && !name.contains('"') && !name.contains('<'),
            "{name}"
        );
    }
}

/// Compares the escaping with systemd's own tool, where this machine has it.
#[test]
fn unit_names_are_escaped_as_systemd_escape_does() {
    let Ok(output) = Command::new("systemd-escape").arg(HOSTILE).output() else {
        println!("note: systemd-escape is not installed; skipped");
        return;
    };
    let theirs = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        rollcall_core::schedule::systemd_escape(HOSTILE),
        theirs.trim_end()
    );
}

#[test]
fn systemd_analyze_accepts_the_units() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        println!("note: systemd-analyze is not installed; the units were not verified");
        return;
    }
    // `verify` insists that the program exists and can be run: use this test's own.
    let program = std::env::current_exe().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let runtime = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (_, registration) in registrations(&program) {
        if registration.scheduler != "systemd" {
            continue;
        }
        for file in &registration.files {
            let path = folder.path().join(&file.name);
            std::fs::write(&path, &file.text).unwrap();
            paths.push(path);
        }
    }
    assert_eq!(paths.len(), 8);
    // Without a session, the user manager's checks need a runtime folder of their own.
    let output = Command::new("systemd-analyze")
        .args(["--user", "verify", "--man=no"])
        .args(&paths)
        .env("XDG_RUNTIME_DIR", runtime.path())
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "systemd-analyze verify refused:\n{said}"
    );
    assert!(
        said.trim().is_empty(),
        "systemd-analyze verify warned:\n{said}"
    );

    // The check has teeth: a broken calendar is refused.
    let broken = folder.path().join("rollcall-sync-broken.timer");
    std::fs::write(
        &broken,
        "[Timer]\nOnCalendar=*-*-* 27:00:00\nUnit=rollcall-sync-school.service\n",
    )
    .unwrap();
    let output = Command::new("systemd-analyze")
        .args(["--user", "verify", "--man=no"])
        .arg(&broken)
        .env("XDG_RUNTIME_DIR", runtime.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
}

#[test]
fn the_plists_are_property_lists_launchd_can_read() {
    for (stem, registration) in registrations(&shown_program()) {
        if registration.scheduler != "launchd" {
            continue;
        }
        let text = &registration.files[0].text;
        let value = plist::Value::from_reader_xml(text.as_bytes())
            .unwrap_or_else(|error| panic!("{stem}: {error}\n{text}"));
        let dict = value.as_dictionary().unwrap();
        let label = dict.get("Label").and_then(plist::Value::as_string).unwrap();
        assert!(label.starts_with("com.rollcall.sync."), "{label}");
        assert_eq!(format!("{label}.plist"), registration.files[0].name);
        let arguments: Vec<&str> = dict
            .get("ProgramArguments")
            .and_then(plist::Value::as_array)
            .unwrap()
            .iter()
            .map(|word| word.as_string().unwrap())
            .collect();
        let name = cases()
            .into_iter()
            .find(|(case, _, _)| *case == stem)
            .unwrap()
            .2;
        assert_eq!(
            arguments,
            [
                "/opt/Rollcall/bin/rollcall",
                "--data-dir",
                "/home/ada/.local/share/Rollcall Data",
                "sync",
                name,
                "--scheduled"
            ],
            "the name arrives as it was, however it is spelled"
        );
        assert!(
            dict.contains_key("StartInterval") || dict.contains_key("StartCalendarInterval"),
            "{stem}"
        );
    }
}

#[test]
fn the_task_scheduler_xml_is_well_formed_and_carries_the_name_whole() {
    use quick_xml::events::Event;
    for (stem, registration) in registrations(&shown_program()) {
        if registration.scheduler != "task-scheduler" {
            continue;
        }
        let text = &registration.files[0].text;
        let mut reader = quick_xml::Reader::from_str(text);
        reader.config_mut().check_end_names = true;
        let mut open = Vec::new();
        let mut arguments = None;
        loop {
            match reader.read_event() {
                Err(error) => panic!("{stem}: {error}\n{text}"),
                Ok(Event::Eof) => break,
                Ok(Event::Start(element)) => {
                    let name = element.name();
                    let name: &str = name.as_ref();
                    open.push(name.to_string());
                }
                Ok(Event::End(_)) => {
                    open.pop();
                }
                Ok(Event::Text(content))
                    if open.last().map(String::as_str) == Some("Arguments") =>
                {
                    arguments
                        .get_or_insert_with(String::new)
                        .push_str(&content.xml10_content());
                }
                Ok(Event::GeneralRef(reference))
                    if open.last().map(String::as_str) == Some("Arguments") =>
                {
                    let entity: &str = reference.as_ref();
                    let character = match entity {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        other => panic!("unexpected entity {other}"),
                    };
                    arguments
                        .get_or_insert_with(String::new)
                        .push_str(character);
                }
                Ok(_) => {}
            }
        }
        assert!(open.is_empty(), "{stem}: unclosed {open:?}");
        let arguments = arguments.unwrap();
        if stem == "hostile-name" {
            assert_eq!(
                arguments,
                "--data-dir \"/home/ada/.local/share/Rollcall Data\" sync \"Ada's \\\"A&B\\\" <school> 50% $HOME\" --scheduled"
            );
        }
    }
}

/// On a computer with a user session manager, the timer is really registered, switched on
/// and removed again; without one, registering says so in plain words and writes nothing.
#[test]
fn the_user_timer_is_registered_in_a_session_or_refused_in_plain_words() {
    use rollcall_core::schedule::{OsScheduler, RegisterError, SystemdUser};
    if Command::new("systemctl").arg("--version").output().is_err() {
        println!("note: systemctl is not installed; skipped");
        return;
    }
    let systemd = SystemdUser::new();
    let name = format!("rollcall-test-{}", std::process::id());
    let schedule = schedule(ScheduleSettings {
        daily: Some("03:17".into()),
        ..ScheduleSettings::default()
    });
    let registration = systemd.registration(
        &schedule,
        &command(&name, &std::env::current_exe().unwrap()),
    );
    if !SystemdUser::session_running() {
        let refused = systemd.register(&name, &registration).unwrap_err();
        assert!(
            matches!(refused, RegisterError::NoSessionManager { .. }),
            "{refused:?}"
        );
        let message = refused.to_string();
        assert!(
            message.starts_with("Rollcall could not register the schedule: there is no user session manager (systemd --user) running"),
            "{message}"
        );
        assert!(message.contains("loginctl enable-linger"), "{message}");
        assert_eq!(
            systemd.registered(&name).unwrap(),
            None,
            "nothing was written"
        );
        println!("note: no user session manager here; the real registration was not tried");
        return;
    }
    systemd.register(&name, &registration).unwrap();
    let found = systemd.registered(&name).unwrap().unwrap();
    assert!(found.active, "the timer is switched on");
    assert_eq!(found.files, registration.files);
    systemd.unregister(&name).unwrap();
    assert_eq!(systemd.registered(&name).unwrap(), None);
}
