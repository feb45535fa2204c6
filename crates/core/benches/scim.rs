//! The SCIM target against the sandbox's SCIM service: creates pushed through the client
//! against a bare reqwest client that POSTs the same bodies with the same concurrency, and
//! the client under a platform that takes 50 writes a second (429 with Retry-After beyond):
//! the rate it sustains and the share of its writes answered 429.
//! Run with `cargo bench -p rollcall-core --bench scim`. `ROLLCALL_BENCH_PEOPLE` sets the
//! number of creates (100,000), `ROLLCALL_BENCH_THROTTLED` the creates of the throttled run
//! (1,500, half a minute at 50 a second).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use rollcall_core::secret::Secret;
use rollcall_core::targets::scim::ScimTarget;
use rollcall_core::targets::scim::wire::user_document;
use rollcall_core::targets::{AccountWrite, Attributes, Target};
use rollcall_sandbox::{Dataset, Sandbox, SandboxOptions};
use serde_json::json;

/// Requests the bare client keeps in flight, and the tasks queued on the SCIM client.
const CONCURRENCY: usize = 32;
const WRITE_LIMIT: f64 = 50.0;

fn count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn person(run: &str, n: usize) -> AccountWrite {
    let mut attributes = Attributes::new();
    attributes.insert("name.givenName".into(), json!("Bench"));
    attributes.insert("name.familyName".into(), json!(format!("Person {n}")));
    attributes.insert("displayName".into(), json!(format!("Bench Person {n}")));
    attributes.insert(
        "emails[type eq \"work\"].value".into(),
        json!(format!("p{n}.{run}@example.org")),
    );
    attributes.insert("title".into(), json!("Teacher"));
    attributes.insert(
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department".into(),
        json!("Mathematics"),
    );
    AccountWrite {
        external_id: format!("{run}-{n}"),
        user_name: format!("p{n}.{run}@example.org"),
        active: true,
        attributes,
    }
}

/// Creates `people` accounts through the SCIM client, `CONCURRENCY` tasks pulling from one
/// queue; returns the seconds taken.
async fn through_client(target: Arc<ScimTarget>, run: &'static str, people: usize) -> f64 {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let target = target.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= people {
                    return;
                }
                target.create_account(&person(run, n)).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed().as_secs_f64()
}

/// POSTs the same bodies with a plain client and the same concurrency.
async fn bare(base: String, token: String, run: &'static str, people: usize) -> f64 {
    let client = reqwest::Client::new();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let client = client.clone();
        let next = next.clone();
        let url = format!("{base}/Users");
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= people {
                    return;
                }
                let response = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/scim+json")
                    .body(user_document(&person(run, n)).to_string())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status().as_u16(), 201);
                response.bytes().await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed().as_secs_f64()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sandbox = Sandbox::start(SandboxOptions {
            dataset: Dataset::Generated { users: 5, seed: 3 },
            port: 0,
        })
        .await
        .unwrap();
        let info = sandbox.info().clone();
        let scim = sandbox.scim().clone();
        let people = count("ROLLCALL_BENCH_PEOPLE", 100_000);

        let bare_seconds = bare(info.scim_url.clone(), info.scim_token.clone(), "bare", people).await;
        scim.reset();
        let target = Arc::new(
            ScimTarget::new(&info.scim_url, Secret::new(info.scim_token.clone())).unwrap(),
        );
        let client_seconds = through_client(target.clone(), "client", people).await;
        let stats = target.stats();
        println!(
            "{people} creates, {CONCURRENCY} in flight: bare client {bare_seconds:.1} s ({:.0}/s), SCIM target {client_seconds:.1} s ({:.0}/s), {:.2}× the bare client; {} requests, {} retries",
            people as f64 / bare_seconds,
            people as f64 / client_seconds,
            client_seconds / bare_seconds,
            stats.requests,
            stats.retries,
        );
        scim.reset();

        let throttled = count("ROLLCALL_BENCH_THROTTLED", 1_500);
        scim.limit_write_rate(Some(WRITE_LIMIT));
        let target = Arc::new(
            ScimTarget::new(&info.scim_url, Secret::new(info.scim_token.clone())).unwrap(),
        );
        target.capabilities().await.unwrap();
        let seconds = through_client(target.clone(), "throttled", throttled).await;
        let counts = scim.trouble_counts();
        let writes = scim.request_counts().writes();
        // The platform starts with a second of writes saved up; count what lies beyond it.
        let sustained = (throttled as f64 - WRITE_LIMIT) / seconds;
        println!(
            "{throttled} creates against {WRITE_LIMIT} writes/s: {seconds:.1} s, sustained {sustained:.1}/s ({:.0}% of the limit), {} of {writes} writes answered 429 ({:.2}%), settled at {:.1}/s",
            sustained / WRITE_LIMIT * 100.0,
            counts.throttled,
            counts.throttled as f64 / writes as f64 * 100.0,
            target.write_rate().unwrap_or(0.0),
        );
        sandbox.shutdown().await;
    });
}
