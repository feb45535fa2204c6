//! The demo tenant: the embedded sandbox that `rollcall --demo` runs for the app's lifetime.

use std::sync::Mutex;

use rollcall_sandbox::{Dataset, Sandbox, SandboxInfo, SandboxOptions};

use crate::commands::{DemoApp, DemoPlatform, DemoStatus, DemoValues};

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

    /// The made-up organisation, for the banner.
    pub fn status(&self) -> DemoStatus {
        DemoStatus {
            tenant_name: self.info.tenant.name.clone(),
            tenant_domain: self.info.tenant.domain.clone(),
            people: self.info.users,
            authority_url: self.info.authority_url.clone(),
        }
    }

    /// What its admin center would show: the tenant and each app registration.
    pub fn values(&self) -> DemoValues {
        DemoValues {
            tenant_id: self.info.tenant.id.clone(),
            tenant_domain: self.info.tenant.domain.clone(),
            apps: self
                .info
                .apps
                .iter()
                .map(|app| DemoApp {
                    name: app.name.clone(),
                    client_id: app.client_id.clone(),
                    secret: app.secret.clone(),
                    secret_id: app.secret_id.clone(),
                    state: app.state,
                })
                .collect(),
        }
    }

    /// Its SCIM service, as the demo learning platform.
    pub fn platform(&self) -> DemoPlatform {
        DemoPlatform {
            url: self.info.scim_url.clone(),
            token: self.info.scim_token.clone(),
        }
    }
}
