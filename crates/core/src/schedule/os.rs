//! Registering a schedule with the operating system, behind [`OsScheduler`] so tests can use
//! [`MemoryScheduler`]: systemd user units on Linux ([`SystemdUser`]), a LaunchAgent on
//! macOS ([`Launchd`]), a Task Scheduler task on Windows ([`TaskScheduler`]); demo mode keeps
//! what it would register in a folder of its own ([`FolderScheduler`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::{
    RegisteredFile, Registration, Schedule, ScheduledCommand, launchd_label, launchd_registration,
    systemd_registration, systemd_unit_name, task_name, task_scheduler_registration,
};

/// Why a schedule could not be registered with (or removed from) the operating system.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    #[error(
        "Rollcall could not register the schedule: there is no user session manager (systemd --user) running, which happens over SSH or in a container without a desktop login. Log in to the desktop and set the schedule again, or ask the computer's administrator to run `loginctl enable-linger {user}` so your session manager keeps running without a login."
    )]
    NoSessionManager { user: String },
    #[error(
        "Rollcall could not register the schedule: `{command}` failed ({detail}). Check that you may add scheduled tasks on this computer, then set the schedule again."
    )]
    Refused { command: String, detail: String },
    #[error(
        "Rollcall could not write {path} for the schedule: {detail}. Check that the folder is writable, then set the schedule again."
    )]
    Files { path: PathBuf, detail: String },
}

/// What the operating system has for one connection: the files as they are now, and whether
/// the schedule is switched on there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registered {
    pub files: Vec<RegisteredFile>,
    pub active: bool,
}

/// The operating system's scheduler.
pub trait OsScheduler: Send + Sync {
    /// What this scheduler registers for `schedule` (pure).
    fn registration(&self, schedule: &Schedule, command: &ScheduledCommand) -> Registration;
    /// Writes the registration and switches it on, replacing what was there for `name`.
    fn register(&self, name: &str, registration: &Registration) -> Result<(), RegisterError>;
    /// Switches off and removes what is registered for `name`; nothing there is no error.
    fn unregister(&self, name: &str) -> Result<(), RegisterError>;
    /// What is registered for `name` now, if anything.
    fn registered(&self, name: &str) -> Result<Option<Registered>, RegisterError>;
}

/// The scheduler of the operating system Rollcall runs on. `data_dir` keeps a copy of what
/// was registered where the system does not give it back as written (Windows).
pub fn os_scheduler(data_dir: &Path) -> Arc<dyn OsScheduler> {
    if cfg!(target_os = "macos") {
        Arc::new(Launchd::new())
    } else if cfg!(windows) {
        Arc::new(TaskScheduler::new(data_dir.join("schedule")))
    } else {
        Arc::new(SystemdUser::new())
    }
}

fn run(program: &str, args: &[&str]) -> Result<String, RegisterError> {
    let shown = format!("{program} {}", args.join(" "));
    let output =
        Command::new(program)
            .args(args)
            .output()
            .map_err(|error| RegisterError::Refused {
                command: shown.clone(),
                detail: error.to_string(),
            })?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
        Err(RegisterError::Refused {
            command: shown,
            detail: if stderr.is_empty() {
                output.status.to_string()
            } else {
                stderr
            },
        })
    }
}

fn write_files(folder: &Path, files: &[RegisteredFile]) -> Result<(), RegisterError> {
    let failed = |path: &Path, error: std::io::Error| RegisterError::Files {
        path: path.to_path_buf(),
        detail: error.to_string(),
    };
    std::fs::create_dir_all(folder).map_err(|error| failed(folder, error))?;
    for file in files {
        let path = folder.join(&file.name);
        std::fs::write(&path, &file.text).map_err(|error| failed(&path, error))?;
    }
    Ok(())
}

/// The files of `names` in `folder` that exist, read back.
fn read_files(folder: &Path, names: &[String]) -> Result<Vec<RegisteredFile>, RegisterError> {
    let mut files = Vec::new();
    for name in names {
        let path = folder.join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => files.push(RegisteredFile {
                name: name.clone(),
                text,
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(RegisterError::Files {
                    path,
                    detail: error.to_string(),
                });
            }
        }
    }
    Ok(files)
}

fn remove_files(folder: &Path, names: &[String]) -> Result<(), RegisterError> {
    for name in names {
        let path = folder.join(name);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(RegisterError::Files {
                    path,
                    detail: error.to_string(),
                });
            }
        }
    }
    Ok(())
}

/// systemd's user manager (`systemctl --user`), its units in
/// `$XDG_CONFIG_HOME/systemd/user/` (`~/.config/systemd/user/` by default).
#[derive(Debug, Clone)]
pub struct SystemdUser {
    unit_dir: PathBuf,
}

impl Default for SystemdUser {
    fn default() -> SystemdUser {
        SystemdUser::new()
    }
}

impl SystemdUser {
    pub fn new() -> SystemdUser {
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
            .or_else(|| directories::BaseDirs::new().map(|dirs| dirs.config_dir().to_path_buf()))
            .unwrap_or_else(|| PathBuf::from(".config"));
        SystemdUser {
            unit_dir: config.join("systemd").join("user"),
        }
    }

    /// The folder the units are written to.
    pub fn unit_dir(&self) -> &Path {
        &self.unit_dir
    }

    /// Whether a user session manager answers `systemctl --user`.
    pub fn session_running() -> bool {
        let Ok(output) = Command::new("systemctl")
            .args(["--user", "is-system-running"])
            .output()
        else {
            return false;
        };
        let state = String::from_utf8_lossy(&output.stdout);
        matches!(
            state.trim(),
            "running" | "degraded" | "starting" | "initializing" | "maintenance"
        )
    }

    fn require_session() -> Result<(), RegisterError> {
        if SystemdUser::session_running() {
            return Ok(());
        }
        Err(RegisterError::NoSessionManager {
            user: std::env::var("USER").unwrap_or_else(|_| "YOUR-USER-NAME".into()),
        })
    }

    fn file_names(name: &str) -> Vec<String> {
        let unit = systemd_unit_name(name);
        vec![format!("{unit}.service"), format!("{unit}.timer")]
    }
}

impl OsScheduler for SystemdUser {
    fn registration(&self, schedule: &Schedule, command: &ScheduledCommand) -> Registration {
        systemd_registration(schedule, command)
    }

    fn register(&self, name: &str, registration: &Registration) -> Result<(), RegisterError> {
        SystemdUser::require_session()?;
        write_files(&self.unit_dir, &registration.files)?;
        run("systemctl", &["--user", "daemon-reload"])?;
        let timer = format!("{}.timer", systemd_unit_name(name));
        // Restarting applies a changed rule to a timer that was already running.
        run("systemctl", &["--user", "enable", &timer])?;
        run("systemctl", &["--user", "restart", &timer])?;
        Ok(())
    }

    fn unregister(&self, name: &str) -> Result<(), RegisterError> {
        let names = SystemdUser::file_names(name);
        let present = !read_files(&self.unit_dir, &names)?.is_empty();
        let session = SystemdUser::session_running();
        if present && session {
            let timer = format!("{}.timer", systemd_unit_name(name));
            run("systemctl", &["--user", "disable", "--now", &timer])?;
        }
        remove_files(&self.unit_dir, &names)?;
        if present && session {
            run("systemctl", &["--user", "daemon-reload"])?;
        }
        Ok(())
    }

    fn registered(&self, name: &str) -> Result<Option<Registered>, RegisterError> {
        let files = read_files(&self.unit_dir, &SystemdUser::file_names(name))?;
        if files.is_empty() {
            return Ok(None);
        }
        let timer = format!("{}.timer", systemd_unit_name(name));
        let active = SystemdUser::session_running()
            && run("systemctl", &["--user", "is-active", &timer])
                .is_ok_and(|state| state == "active");
        Ok(Some(Registered { files, active }))
    }
}

/// launchd (`launchctl`), the agents in `~/Library/LaunchAgents/`.
#[derive(Debug, Clone)]
pub struct Launchd {
    agents_dir: PathBuf,
}

impl Default for Launchd {
    fn default() -> Launchd {
        Launchd::new()
    }
}

impl Launchd {
    pub fn new() -> Launchd {
        let home = directories::BaseDirs::new()
            .map(|dirs| dirs.home_dir().to_path_buf())
            .unwrap_or_default();
        Launchd {
            agents_dir: home.join("Library").join("LaunchAgents"),
        }
    }

    fn domain() -> Result<String, RegisterError> {
        Ok(format!("gui/{}", run("id", &["-u"])?))
    }
}

impl OsScheduler for Launchd {
    fn registration(&self, schedule: &Schedule, command: &ScheduledCommand) -> Registration {
        launchd_registration(schedule, command)
    }

    fn register(&self, name: &str, registration: &Registration) -> Result<(), RegisterError> {
        let domain = Launchd::domain()?;
        let label = launchd_label(name);
        // A changed agent is only read again after it is taken out.
        let _ = run("launchctl", &["bootout", &format!("{domain}/{label}")]);
        write_files(&self.agents_dir, &registration.files)?;
        let path = self.agents_dir.join(format!("{label}.plist"));
        run(
            "launchctl",
            &["bootstrap", &domain, &path.to_string_lossy()],
        )?;
        Ok(())
    }

    fn unregister(&self, name: &str) -> Result<(), RegisterError> {
        let label = launchd_label(name);
        if let Ok(domain) = Launchd::domain() {
            let _ = run("launchctl", &["bootout", &format!("{domain}/{label}")]);
        }
        remove_files(&self.agents_dir, &[format!("{label}.plist")])
    }

    fn registered(&self, name: &str) -> Result<Option<Registered>, RegisterError> {
        let label = launchd_label(name);
        let files = read_files(&self.agents_dir, &[format!("{label}.plist")])?;
        if files.is_empty() {
            return Ok(None);
        }
        let active = Launchd::domain()
            .and_then(|domain| run("launchctl", &["print", &format!("{domain}/{label}")]))
            .is_ok();
        Ok(Some(Registered { files, active }))
    }
}

/// Task Scheduler (`schtasks`). Windows gives a task back in a form of its own, so the XML
/// as registered is kept in `copies` to compare with.
#[derive(Debug, Clone)]
pub struct TaskScheduler {
    copies: PathBuf,
}

impl TaskScheduler {
    pub fn new(copies: PathBuf) -> TaskScheduler {
        TaskScheduler { copies }
    }

    fn task_path(name: &str) -> String {
        format!("\\Rollcall\\{}", task_name(name))
    }
}

impl OsScheduler for TaskScheduler {
    fn registration(&self, schedule: &Schedule, command: &ScheduledCommand) -> Registration {
        task_scheduler_registration(schedule, command)
    }

    fn register(&self, name: &str, registration: &Registration) -> Result<(), RegisterError> {
        write_files(&self.copies, &registration.files)?;
        for file in &registration.files {
            // schtasks reads the task's XML as UTF-16 with a byte-order mark.
            let text = file
                .text
                .replacen("encoding=\"UTF-8\"", "encoding=\"UTF-16\"", 1);
            let mut bytes = vec![0xFF, 0xFE];
            bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            let path = self.copies.join(format!("{}.utf16", file.name));
            std::fs::write(&path, bytes).map_err(|error| RegisterError::Files {
                path: path.clone(),
                detail: error.to_string(),
            })?;
            let created = run(
                "schtasks",
                &[
                    "/Create",
                    "/TN",
                    &TaskScheduler::task_path(name),
                    "/XML",
                    &path.to_string_lossy(),
                    "/F",
                ],
            );
            let _ = std::fs::remove_file(&path);
            created?;
        }
        Ok(())
    }

    fn unregister(&self, name: &str) -> Result<(), RegisterError> {
        let file = format!("{}.xml", task_name(name));
        if !read_files(&self.copies, std::slice::from_ref(&file))?.is_empty()
            || run(
                "schtasks",
                &["/Query", "/TN", &TaskScheduler::task_path(name)],
            )
            .is_ok()
        {
            let _ = run(
                "schtasks",
                &["/Delete", "/TN", &TaskScheduler::task_path(name), "/F"],
            );
        }
        remove_files(&self.copies, &[file])
    }

    fn registered(&self, name: &str) -> Result<Option<Registered>, RegisterError> {
        if run(
            "schtasks",
            &["/Query", "/TN", &TaskScheduler::task_path(name)],
        )
        .is_err()
        {
            return Ok(None);
        }
        let files = read_files(&self.copies, &[format!("{}.xml", task_name(name))])?;
        Ok(Some(Registered {
            files,
            active: true,
        }))
    }
}

/// A scheduler that writes what this computer's scheduler would be given into a folder and
/// switches nothing on: demo mode, whose schedules must never reach the real operating system
/// (a scheduled run could not reach the demo organisation anyway, which lives only as long as
/// the window).
#[derive(Debug, Clone)]
pub struct FolderScheduler {
    folder: PathBuf,
}

impl FolderScheduler {
    /// The scheduler's name in a [`Registration`].
    pub const NAME: &'static str = "folder";

    pub fn new(folder: PathBuf) -> FolderScheduler {
        FolderScheduler { folder }
    }

    /// The folder the files are written to.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// The files registered for `name`, as this computer's scheduler would name them.
    fn file_names(name: &str) -> Vec<String> {
        if cfg!(target_os = "macos") {
            vec![format!("{}.plist", launchd_label(name))]
        } else if cfg!(windows) {
            vec![format!("{}.xml", task_name(name))]
        } else {
            SystemdUser::file_names(name)
        }
    }
}

impl OsScheduler for FolderScheduler {
    fn registration(&self, schedule: &Schedule, command: &ScheduledCommand) -> Registration {
        let native = if cfg!(target_os = "macos") {
            launchd_registration(schedule, command)
        } else if cfg!(windows) {
            task_scheduler_registration(schedule, command)
        } else {
            systemd_registration(schedule, command)
        };
        Registration {
            scheduler: FolderScheduler::NAME,
            files: native.files,
        }
    }

    fn register(&self, _name: &str, registration: &Registration) -> Result<(), RegisterError> {
        crate::data_dir::create_private_dir(&self.folder).map_err(|error| {
            RegisterError::Files {
                path: self.folder.clone(),
                detail: error.to_string(),
            }
        })?;
        write_files(&self.folder, &registration.files)
    }

    fn unregister(&self, name: &str) -> Result<(), RegisterError> {
        remove_files(&self.folder, &FolderScheduler::file_names(name))
    }

    fn registered(&self, name: &str) -> Result<Option<Registered>, RegisterError> {
        let files = read_files(&self.folder, &FolderScheduler::file_names(name))?;
        Ok((!files.is_empty()).then_some(Registered {
            files,
            active: true,
        }))
    }
}

/// A scheduler that only remembers what it was given; for tests. It can be told to refuse,
/// as a computer without a session manager does.
#[derive(Debug, Default)]
pub struct MemoryScheduler {
    entries: Mutex<HashMap<String, Registration>>,
    refusal: Mutex<Option<RegisterError>>,
}

impl MemoryScheduler {
    pub fn new() -> MemoryScheduler {
        MemoryScheduler::default()
    }

    /// From now on registering fails with `error` (`None`: works again).
    pub fn refuse_with(&self, error: Option<RegisterError>) {
        *self
            .refusal
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = error;
    }

    /// The names with something registered, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.entries().keys().cloned().collect();
        names.sort();
        names
    }

    /// Replaces what is registered for `name` behind Rollcall's back (someone edited it).
    pub fn tamper(&self, name: &str, registration: Registration) {
        self.entries().insert(name.to_string(), registration);
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Registration>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl OsScheduler for MemoryScheduler {
    fn registration(&self, schedule: &Schedule, command: &ScheduledCommand) -> Registration {
        systemd_registration(schedule, command)
    }

    fn register(&self, name: &str, registration: &Registration) -> Result<(), RegisterError> {
        if let Some(error) = self
            .refusal
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
        {
            return Err(error);
        }
        self.entries()
            .insert(name.to_string(), registration.clone());
        Ok(())
    }

    fn unregister(&self, name: &str) -> Result<(), RegisterError> {
        self.entries().remove(name);
        Ok(())
    }

    fn registered(&self, name: &str) -> Result<Option<Registered>, RegisterError> {
        Ok(self.entries().get(name).map(|registration| Registered {
            files: registration.files.clone(),
            active: true,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{Rule, ScheduledCommand};

    #[test]
    fn the_folder_scheduler_keeps_files_in_its_folder_only() {
        let folder = tempfile::tempdir().unwrap();
        let scheduler = FolderScheduler::new(folder.path().join("schedule"));
        let schedule = Schedule {
            rule: Rule::Every { minutes: 90 },
            time_zone: None,
            after: None,
        };
        let command = ScheduledCommand {
            program: "/opt/rollcall".into(),
            data_dir: folder.path().to_path_buf(),
            name: "school".into(),
        };
        assert_eq!(scheduler.registered("school").unwrap(), None);
        let registration = scheduler.registration(&schedule, &command);
        assert_eq!(registration.scheduler, "folder");
        assert!(!registration.files.is_empty());
        scheduler.register("school", &registration).unwrap();
        let found = scheduler.registered("school").unwrap().unwrap();
        assert_eq!(found.files, registration.files, "read back as written");
        assert!(found.active);
        assert_eq!(
            std::fs::read_dir(scheduler.folder()).unwrap().count(),
            registration.files.len()
        );
        scheduler.unregister("school").unwrap();
        assert_eq!(scheduler.registered("school").unwrap(), None);
        assert_eq!(std::fs::read_dir(scheduler.folder()).unwrap().count(), 0);
        scheduler
            .unregister("school")
            .expect("nothing there is no error");
    }
}
