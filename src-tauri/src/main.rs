//! The `rollcall` binary: with a subcommand it runs headless; otherwise it opens the window.

fn main() -> std::process::ExitCode {
    match rollcall_cli::run(std::env::args_os()) {
        rollcall_cli::Invocation::Exit(status) => rollcall_cli::exit_code(status),
        rollcall_cli::Invocation::Window { .. } => rollcall_cli::exit_code(1),
    }
}
