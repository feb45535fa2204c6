//! The `rollcall` binary: with a subcommand it runs headless; otherwise it opens the window.

#[cfg(test)]
mod bindings;
mod commands;
mod demo;
#[cfg(test)]
mod parity;
mod update;
mod window;

fn main() -> std::process::ExitCode {
    match rollcall_cli::run(std::env::args_os()) {
        rollcall_cli::Invocation::Exit(status) => rollcall_cli::exit_code(status),
        rollcall_cli::Invocation::Window { demo, data_dir } => {
            rollcall_cli::exit_code(window::open(demo, data_dir.as_deref()))
        }
    }
}
