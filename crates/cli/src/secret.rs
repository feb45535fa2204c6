//! `rollcall secret set NAME graph|target`: reads a secret from standard input (never from the
//! command line, where it would land in shell history) and stores it in the keychain. The value
//! is never printed.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use clap::{Args, Subcommand, ValueEnum};
use rollcall_core::credentials::parse_secret;
use rollcall_core::secret::{Keychain, Secret, SecretKind, SecretStore};

use crate::profile::load_profile;
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
        #[arg(value_enum)]
        kind: KindArg,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum KindArg {
    Graph,
    Target,
}

impl From<KindArg> for SecretKind {
    fn from(kind: KindArg) -> SecretKind {
        match kind {
            KindArg::Graph => SecretKind::Graph,
            KindArg::Target => SecretKind::Target,
        }
    }
}

pub(crate) fn run(args: &SecretArgs, data_dir: Option<&Path>) -> u8 {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return execute(args, data_dir, &Keychain::new(), &mut stdin.lock());
    }
    // Typed at a terminal: read without echo, on every platform.
    match rpassword::prompt_password("Paste the secret and press Enter (it is not shown): ") {
        Ok(typed) => execute(
            args,
            data_dir,
            &Keychain::new(),
            &mut std::io::Cursor::new(typed),
        ),
        Err(error) => {
            eprint_line(&format!(
                "Could not read the secret from the terminal: {error}. Pipe it in instead, for example: printf '%s' \"$VALUE\" | rollcall secret set NAME graph"
            ));
            EXIT_USAGE
        }
    }
}

pub(crate) fn execute(
    args: &SecretArgs,
    data_dir: Option<&Path>,
    store: &dyn SecretStore,
    input: &mut dyn BufRead,
) -> u8 {
    let SecretAction::Set { name, kind } = &args.action;
    let kind = SecretKind::from(*kind);
    if let Err(status) = load_profile(data_dir, name) {
        return status;
    }
    let mut line = String::new();
    if let Err(error) = input.read_line(&mut line) {
        eprint_line(&format!(
            "Could not read the secret from standard input: {error}. Pipe it in, for example: printf '%s' \"$VALUE\" | rollcall secret set {name} {kind}"
        ));
        return EXIT_USAGE;
    }
    let secret = match kind {
        SecretKind::Graph => match parse_secret(&line) {
            Ok(secret) => secret,
            Err(problem) => {
                eprint_line(&format!("Nothing was stored. {problem}"));
                return EXIT_USAGE;
            }
        },
        SecretKind::Target => {
            let value = line.trim();
            if value.is_empty() {
                eprint_line(
                    "Nothing was stored: the token is empty. Copy the SCIM token your learning platform shows and pipe it in.",
                );
                return EXIT_USAGE;
            }
            Secret::new(value)
        }
    };
    match store.store(name, kind, &secret) {
        Ok(()) => {
            eprint_line(&format!(
                "Stored the {} secret of \"{name}\" in this computer's keychain.",
                kind
            ));
            let _ = std::io::stderr().flush();
            0
        }
        Err(error) => {
            eprint_line(&format!("Nothing was stored. {error}"));
            1
        }
    }
}
