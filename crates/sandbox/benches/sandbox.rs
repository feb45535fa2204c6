//! Sandbox throughput: generating a 100,000-person tenant, and a client on the same machine
//! paging every user (`/users?$top=999`) and every member of All Staff. Prints the numbers;
//! run with `cargo bench -p rollcall-sandbox`.

use std::time::{Duration, Instant};

use rollcall_sandbox::{AppState, Dataset, Sandbox, SandboxOptions};
use serde_json::Value;

const PEOPLE: usize = 100_000;
const GENERATION_BUDGET: Duration = Duration::from_secs(5);
const PAGING_BUDGET: Duration = Duration::from_secs(3);

fn main() {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("could not start a tokio runtime: {error}");
            std::process::exit(1);
        }
    };
    if let Err(problem) = runtime.block_on(run()) {
        eprintln!("bench failed: {problem}");
        std::process::exit(1);
    }
}

fn verdict(took: Duration, budget: Duration) -> &'static str {
    if took <= budget {
        "within budget"
    } else {
        "OVER BUDGET"
    }
}

async fn page_all(
    client: &reqwest::Client,
    token: &str,
    first: String,
) -> Result<(usize, usize), String> {
    let mut next = Some(first);
    let (mut items, mut pages) = (0, 0);
    while let Some(url) = next.take() {
        let response = client
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("GET {url}: status {}", response.status()));
        }
        let body: Value = response
            .json()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        pages += 1;
        items += body["value"].as_array().map_or(0, Vec::len);
        next = body["@odata.nextLink"].as_str().map(str::to_string);
    }
    Ok((items, pages))
}

async fn run() -> Result<(), String> {
    let started = Instant::now();
    let (_, directory) = rollcall_sandbox::generate::generated(PEOPLE, 1);
    let generation = started.elapsed();
    println!(
        "generate {PEOPLE} people, {} groups: {:.3} s ({})",
        directory.groups.len(),
        generation.as_secs_f64(),
        verdict(generation, GENERATION_BUDGET)
    );
    drop(directory);

    let started = Instant::now();
    let sandbox = Sandbox::start(SandboxOptions {
        dataset: Dataset::Generated {
            users: PEOPLE,
            seed: 1,
        },
        port: 0,
    })
    .await
    .map_err(|e| e.to_string())?;
    println!("start sandbox: {:.3} s", started.elapsed().as_secs_f64());
    let info = sandbox.info().clone();
    let app = info
        .apps
        .iter()
        .find(|a| a.state == AppState::Healthy)
        .ok_or("no healthy app")?;
    let client = reqwest::Client::new();
    let token: Value = client
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            info.authority_url, info.tenant.id
        ))
        .form(&[
            ("client_id", app.client_id.as_str()),
            ("client_secret", app.secret.as_str()),
            ("scope", "https://graph.microsoft.com/.default"),
            ("grant_type", "client_credentials"),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let token = token["access_token"]
        .as_str()
        .ok_or("no access token")?
        .to_string();

    for (label, url) in [
        (
            "page /users?$top=999 (default properties)",
            format!("{}/v1.0/users?$top=999", info.graph_url),
        ),
        (
            "page /users?$top=999&$select=id,userPrincipalName,mail,displayName,accountEnabled",
            format!(
                "{}/v1.0/users?$top=999&$select=id,userPrincipalName,mail,displayName,accountEnabled",
                info.graph_url
            ),
        ),
    ] {
        let started = Instant::now();
        let (items, pages) = page_all(&client, &token, url).await?;
        let took = started.elapsed();
        println!(
            "{label}: {items} users in {pages} pages, {:.3} s ({})",
            took.as_secs_f64(),
            verdict(took, PAGING_BUDGET)
        );
    }
    let all_staff = sandbox
        .control()
        .group_id("All Staff")
        .ok_or("no All Staff group")?;
    let started = Instant::now();
    let (items, pages) = page_all(
        &client,
        &token,
        format!(
            "{}/v1.0/groups/{all_staff}/transitiveMembers/microsoft.graph.user?$top=999&$select=id,userPrincipalName",
            info.graph_url
        ),
    )
    .await?;
    println!(
        "page All Staff transitive users: {items} in {pages} pages, {:.3} s",
        started.elapsed().as_secs_f64()
    );
    sandbox.shutdown().await;
    Ok(())
}
