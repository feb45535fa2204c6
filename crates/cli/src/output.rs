//! How every headless command answers: one JSON document on stdout with `--json`, plain
//! text otherwise; failures as the engine's message on stderr and the exit status its code
//! calls for.

use std::io::Write;

use rollcall_core::ops::{EXIT_PROBLEMS, OpError};
use serde::Serialize;

use crate::eprint_line;

/// Prints `value` as JSON or as the text `describe` makes of it. Returns 0, or 1 when stdout
/// is closed or the value cannot be written.
pub(crate) fn answer<T: Serialize>(
    out: &mut dyn Write,
    json: bool,
    value: &T,
    describe: impl FnOnce(&T) -> String,
) -> u8 {
    let text = if json {
        match serde_json::to_string_pretty(value) {
            Ok(text) => text,
            Err(error) => {
                eprint_line(&format!("Could not write the result as JSON: {error}"));
                return EXIT_PROBLEMS;
            }
        }
    } else {
        describe(value)
    };
    print(out, &text)
}

/// Writes a line to stdout; a closed pipe is a failure of the command.
pub(crate) fn print(out: &mut dyn Write, text: &str) -> u8 {
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(_) => EXIT_PROBLEMS,
    }
}

/// Says what went wrong on stderr and returns the exit status it calls for.
pub(crate) fn fail(error: &OpError) -> u8 {
    eprint_line(&error.message);
    error.exit_status()
}

/// The first status that is not 0, so a command that answered but found problems still
/// exits with 1.
pub(crate) fn worst(printed: u8, verdict: u8) -> u8 {
    if printed != 0 { printed } else { verdict }
}
