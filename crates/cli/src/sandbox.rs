//! `rollcall sandbox`: runs the simulated tenant standalone and prints how to reach it.

use clap::Args;
use rollcall_sandbox::{Dataset, Sandbox, SandboxInfo, SandboxOptions};

use crate::{EXIT_USAGE, eprint_line};

#[derive(Debug, Args)]
pub(crate) struct SandboxArgs {
    /// Generate a tenant of N people instead of the demo tenant.
    #[arg(long, value_name = "N")]
    users: Option<usize>,
    /// Seed for the generated tenant; the same seed gives the same people.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Port to listen on (127.0.0.1 only); 0 picks a free one.
    #[arg(long, value_name = "P", default_value_t = 0)]
    port: u16,
    /// Print one JSON object (endpoints, tenant, app registrations) as the first line.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: &SandboxArgs) -> u8 {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprint_line(&format!("Could not start: {error}"));
            return 1;
        }
    };
    runtime.block_on(serve(args))
}

async fn serve(args: &SandboxArgs) -> u8 {
    let dataset = match args.users {
        Some(users) => Dataset::Generated {
            users,
            seed: args.seed,
        },
        None => Dataset::Demo,
    };
    let sandbox = match Sandbox::start(SandboxOptions {
        dataset,
        port: args.port,
    })
    .await
    {
        Ok(sandbox) => sandbox,
        Err(error) => {
            eprint_line(&format!(
                "The sandbox could not start: {error}. Pick another --port, or 0 for any free one."
            ));
            return EXIT_USAGE;
        }
    };
    let text = if args.json {
        match serde_json::to_string(sandbox.info()) {
            Ok(json) => json,
            Err(error) => {
                eprint_line(&format!("Could not describe the sandbox: {error}"));
                return 1;
            }
        }
    } else {
        describe(sandbox.info())
    };
    // One line of JSON, so a script can read the first line while the sandbox keeps running.
    if crate::output::print(&mut std::io::stdout(), &text) != 0 {
        return 1;
    }
    eprint_line("The sandbox is running. Press Ctrl+C to stop it.");
    let _ = tokio::signal::ctrl_c().await;
    drop(sandbox);
    0
}

/// The human-readable description of a running sandbox.
fn describe(info: &SandboxInfo) -> String {
    let mut text = format!(
        "Rollcall sandbox\n  tenant:    {} ({}, {})\n  people:    {}\n  sign-in:   {}\n  graph:     {}\n  scim:      {}\n  scim token: {}\n\nApp registrations:\n",
        info.tenant.name,
        info.tenant.domain,
        info.tenant.id,
        info.users,
        info.authority_url,
        info.graph_url,
        info.scim_url,
        info.scim_token
    );
    for app in &info.apps {
        text.push_str(&format!(
            "  {} [{:?}]\n    client id: {}\n    secret:    {}\n    secret id: {}\n    roles:     {}\n",
            app.name,
            app.state,
            app.client_id,
            app.secret,
            app.secret_id,
            if app.roles.is_empty() {
                "(none: admin consent not granted)".to_string()
            } else {
                app.roles.join(", ")
            }
        ));
    }
    text
}
