//! `rollcall secret set NAME graph|target|mail`: reads a secret from standard input (never from the
//! command line, where it would land in shell history) and stores it in the keychain. The value
//! is never printed.

use std::io::{BufRead, IsTerminal};

use clap::{Args, Subcommand, ValueEnum};
use rollcall_core::ops::{SecretTarget, Workspace};

use crate::output::fail;
use crate::{EXIT_USAGE, eprint_line};

#[derive(Debug, Args)]
pub(crate) struct SecretArgs {
    #[command(subcommand)]
    action: SecretAction,
}

#[derive(Debug, Subcommand)]
enum SecretAction {
    /// Store a secret for a profile; the value is read from standard input.
    Set {
        /// The profile's name.
        name: String,
        /// graph: the Entra app's client secret Value. target: the learning platform's token.
        /// mail: the password of the mail server in [notify.email].
        #[arg(value_enum)]
        kind: KindArg,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum KindArg {
    Graph,
    Target,
    Mail,
}

impl KindArg {
    fn target(self) -> SecretTarget {
        match self {
            KindArg::Graph => SecretTarget::Graph,
            KindArg::Target => SecretTarget::Platform,
            KindArg::Mail => SecretTarget::Mail,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            KindArg::Graph => "graph",
            KindArg::Target => "target",
            KindArg::Mail => "mail",
        }
    }
}

pub(crate) fn run(args: &SecretArgs, ws: &Workspace) -> u8 {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return execute(args, ws, &mut stdin.lock());
    }
    // Typed at a terminal: read without echo, on every platform.
    match rpassword::prompt_password("Paste the secret and press Enter (it is not shown): ") {
        Ok(typed) => execute(args, ws, &mut std::io::Cursor::new(typed)),
        Err(error) => {
            eprint_line(&format!(
                "Could not read the secret from the terminal: {error}. Pipe it in instead, for example: printf '%s' \"$VALUE\" | rollcall secret set NAME graph"
            ));
            EXIT_USAGE
        }
    }
}

pub(crate) fn execute(args: &SecretArgs, ws: &Workspace, input: &mut dyn BufRead) -> u8 {
    let SecretAction::Set { name, kind } = &args.action;
    if let Err(error) = ws.profile(name) {
        return fail(&error);
    }
    let mut line = String::new();
    if let Err(error) = input.read_line(&mut line) {
        eprint_line(&format!(
            "Could not read the secret from standard input: {error}. Pipe it in, for example: printf '%s' \"$VALUE\" | rollcall secret set {name} {}",
            kind.as_str()
        ));
        return EXIT_USAGE;
    }
    match ws.store_secret(name, kind.target(), &line) {
        Ok(()) => {
            eprint_line(&format!(
                "Stored the {} secret of \"{name}\" in this computer's keychain.",
                kind.as_str()
            ));
            0
        }
        Err(error) => fail(&error),
    }
}
