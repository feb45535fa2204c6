//! rollcall-cli owns the command line: it parses arguments, runs headless commands through
//! rollcall-core (and the sandbox), and prints their output. It decides whether the shell
//! should open a window instead, but never opens one itself. It also keeps the daily log
//! files ([`logbook`]) that the command line and the window both write.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use rollcall_core::data_dir::{DataDir, Mode};
use rollcall_core::ops::Workspace;
use rollcall_core::secret::Keychain;

mod check;
pub mod logbook;
mod notify;
mod output;
mod preview;
mod profile;
mod sandbox;
mod schedule;
mod secret;
mod sync;

/// Exit status when the command ran and found problems (or the computer failed it).
pub use rollcall_core::ops::EXIT_PROBLEMS;
/// Exit status for bad usage or bad input (the map: 0 good, 1 problems found, 2 bad usage).
pub use rollcall_core::ops::EXIT_USAGE;

#[derive(Debug, Parser)]
#[command(
    name = "rollcall",
    version,
    about = "Keeps your learning platform's user list in step with Microsoft Entra ID.",
    long_about = "Keeps your learning platform's user list in step with Microsoft Entra ID.\n\nWith no command, opens the Rollcall window."
)]
struct Cli {
    /// Keep profiles, the cache and logs in DIR instead of the usual place.
    #[arg(long, value_name = "DIR", global = true)]
    data_dir: Option<PathBuf>,

    /// Open the window against a built-in demo tenant, with its own data directory.
    /// (Only without a command: clap cannot name a subcommand in `conflicts_with`.)
    #[arg(long)]
    demo: bool,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a simulated Entra tenant and SCIM service on 127.0.0.1 until stopped.
    Sandbox(sandbox::SandboxArgs),
    /// Import, export or list integration profiles (settings files; no secrets).
    Profile(profile::ProfileArgs),
    /// Store a profile's secret in this computer's keychain (read from standard input).
    Secret(secret::SecretArgs),
    /// Check a profile's connection to Microsoft Entra ID and explain any problem.
    Check(check::CheckArgs),
    /// Read a profile's scope from Entra and show who would get an account, and why.
    Preview(preview::PreviewArgs),
    /// Bring the learning platform in step with Entra: create, update, deactivate; never delete.
    Sync(sync::SyncArgs),
    /// List a profile's sync runs.
    History(sync::HistoryArgs),
    /// Switch back on the accounts a run switched off.
    Undo(sync::UndoArgs),
    /// Set when a profile syncs on its own (registered with the operating system), switch
    /// it off, or `schedule list` every profile's schedule.
    Schedule(schedule::ScheduleArgs),
    /// Send a test email, or the client-secret expiry reminders due today.
    Notify(notify::NotifyArgs),
}

/// What the `rollcall` binary should do after the command line was read.
#[derive(Debug, PartialEq, Eq)]
pub enum Invocation {
    /// Open the window.
    Window {
        demo: bool,
        data_dir: Option<PathBuf>,
    },
    /// A headless command ran (or the arguments were refused); exit with this status.
    Exit(u8),
}

/// Reads the command line and runs any headless command. Returns what the binary should do
/// next: open the window, or exit with a status.
pub fn run<I, T>(args: I) -> Invocation
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to stdout with status 0; mistakes to stderr with usage, 2.
            let _ = error.print();
            return Invocation::Exit(if error.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    if cli.demo && cli.command.is_some() {
        eprint_line("--demo opens the window; it cannot be combined with a command.");
        return Invocation::Exit(EXIT_USAGE);
    }
    match cli.command {
        None => Invocation::Window {
            demo: cli.demo,
            data_dir: cli.data_dir,
        },
        Some(Command::Sandbox(args)) => Invocation::Exit(sandbox::run(&args)),
        Some(command) => Invocation::Exit(match workspace(cli.data_dir.as_deref()) {
            Ok(ws) => {
                logbook::install(ws.data_dir());
                run_command(command, &ws)
            }
            Err(status) => status,
        }),
    }
}

/// Runs one command that works on the data folder, printing to stdout.
fn run_command(command: Command, ws: &Workspace) -> u8 {
    run_in_workspace(command, ws, &mut std::io::stdout())
}

fn run_in_workspace(command: Command, ws: &Workspace, out: &mut dyn Write) -> u8 {
    match command {
        Command::Sandbox(args) => sandbox::run(&args),
        Command::Profile(args) => profile::execute(&args, ws, out),
        Command::Secret(args) => secret::run(&args, ws),
        Command::Check(args) => check::execute(&args, ws, out),
        Command::Preview(args) => preview::execute(&args, ws, out),
        Command::Sync(args) => sync::sync(&args, ws, out),
        Command::History(args) => sync::history(&args, ws, out),
        Command::Undo(args) => sync::undo(&args, ws, out),
        Command::Schedule(args) => schedule::execute(&args, ws, out),
        Command::Notify(args) => notify::execute(&args, ws, out),
    }
}

/// Runs a headless command against a workspace the caller made (a test host with an
/// in-memory keychain and an injected clock), writing its stdout to `out`. `--data-dir` is
/// ignored: the workspace already names the data folder.
pub fn run_in<I, T>(args: I, ws: &Workspace, out: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    match Cli::try_parse_from(args) {
        Ok(Cli {
            command: Some(command),
            ..
        }) => run_in_workspace(command, ws, out),
        Ok(_) => EXIT_USAGE,
        Err(error) => {
            let _ = error.print();
            EXIT_USAGE
        }
    }
}

/// The engine's workspace for a headless command: the data folder (`--data-dir`, or the
/// usual place) and the OS keychain.
fn workspace(data_dir: Option<&Path>) -> Result<Workspace, u8> {
    match DataDir::resolve(data_dir, Mode::Real) {
        Ok(dir) => Ok(Workspace::new(dir, Arc::new(Keychain::new()))),
        Err(error) => {
            eprint_line(&error.to_string());
            Err(EXIT_USAGE)
        }
    }
}

/// Converts an [`Invocation::Exit`] status into the process's exit code.
pub fn exit_code(status: u8) -> ExitCode {
    ExitCode::from(status)
}

/// A runtime for one headless command. `what` names the work for the message shown when the
/// runtime cannot start, which becomes exit status 1.
fn command_runtime(what: &str) -> Result<tokio::runtime::Runtime, u8> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            eprint_line(&format!("Could not start {what}: {error}"));
            EXIT_PROBLEMS
        })
}

/// Writes a line to stderr, ignoring a closed pipe: progress and errors are best-effort.
fn eprint_line(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_arguments_opens_the_window() {
        assert_eq!(
            run(["rollcall"]),
            Invocation::Window {
                demo: false,
                data_dir: None
            }
        );
    }

    #[test]
    fn demo_flag_opens_the_demo_window() {
        assert_eq!(
            run(["rollcall", "--demo"]),
            Invocation::Window {
                demo: true,
                data_dir: None
            }
        );
    }

    #[test]
    fn demo_with_a_command_is_a_usage_error() {
        assert_eq!(
            run(["rollcall", "--demo", "profile", "list"]),
            Invocation::Exit(EXIT_USAGE)
        );
    }

    #[test]
    fn unknown_arguments_are_usage_errors() {
        assert_eq!(
            run(["rollcall", "--frobnicate"]),
            Invocation::Exit(EXIT_USAGE)
        );
        assert_eq!(
            run(["rollcall", "frobnicate"]),
            Invocation::Exit(EXIT_USAGE)
        );
        assert_eq!(
            run(["rollcall", "sandbox", "--users", "many"]),
            Invocation::Exit(EXIT_USAGE)
        );
    }

    #[test]
    fn version_exits_cleanly() {
        assert_eq!(run(["rollcall", "--version"]), Invocation::Exit(0));
    }
}
