//! Measures the wall time of a full connection check (discovery, token, permissions, test reads,
//! expiry) against the sandbox: `cargo run -p rollcall-core --release --example check_timing`.

use std::time::{Duration, Instant};

use rollcall_core::check::{CheckOptions, ConnectionInput, check_connection};
use rollcall_core::cloud::Cloud;
use rollcall_core::secret::Secret;
use rollcall_sandbox::{Dataset, Sandbox, SandboxOptions};

const RUNS: u32 = 20;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start(SandboxOptions {
        dataset: Dataset::Demo,
        port: 0,
    })
    .await?;
    let info = sandbox.info();
    let cloud = Cloud::custom(&info.authority_url, &info.graph_url)?;
    let options = CheckOptions::default();
    for app in &info.apps {
        let input = ConnectionInput {
            cloud: cloud.clone(),
            tenant: info.tenant.domain.clone(),
            client_id: app.client_id.clone(),
            secret: Some(Secret::new(app.secret.clone())),
            secret_expires: None,
            probe_group: None,
        };
        let mut times = Vec::new();
        let mut verdict = String::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            let report = check_connection(&input, &options).await;
            times.push(started.elapsed());
            verdict = report
                .diagnoses
                .iter()
                .map(|d| d.code.as_str())
                .collect::<Vec<_>>()
                .join(",");
        }
        times.sort();
        let median = times[times.len() / 2];
        let worst = times.last().copied().unwrap_or(Duration::ZERO);
        println!(
            "{:<40} median {:>7.2} ms  worst {:>7.2} ms  [{}]",
            app.name,
            median.as_secs_f64() * 1000.0,
            worst.as_secs_f64() * 1000.0,
            verdict
        );
    }
    Ok(())
}
