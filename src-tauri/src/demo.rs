//! The demo tenant: the embedded sandbox that `rollcall --demo` runs for the app's lifetime.

use std::sync::Mutex;

use rollcall_sandbox::{Dataset, Sandbox, SandboxInfo, SandboxOptions};

/// Managed state: the running demo sandbox (absent outside demo mode). Dropping it stops
/// the sandbox, so it lives exactly as long as the app.
pub struct DemoTenant {
    info: SandboxInfo,
    _sandbox: Mutex<Sandbox>,
}

impl DemoTenant {
    /// Starts the demo sandbox on Tauri's async runtime, where it keeps serving until the
    /// app exits.
    pub fn start() -> Result<DemoTenant, String> {
        let sandbox = tauri::async_runtime::block_on(Sandbox::start(SandboxOptions {
            dataset: Dataset::Demo,
            port: 0,
        }))
        .map_err(|error| {
            format!("Rollcall could not start its demo organisation: {error}. Try again, or start Rollcall without --demo.")
        })?;
        Ok(DemoTenant {
            info: sandbox.info().clone(),
            _sandbox: Mutex::new(sandbox),
        })
    }

    pub fn info(&self) -> &SandboxInfo {
        &self.info
    }
}
