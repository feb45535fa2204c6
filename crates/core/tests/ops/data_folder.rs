//! What the data folder holds after real use: owner-only files and folders, a damaged cache
//! set aside and read again, and a damaged ledger refused rather than replaced.

use rollcall_core::ledger::Ledger;
use rollcall_core::ops::{ErrorCode, ExportTo, ReadObserver, SyncObserver, SyncRequest};
use rollcall_core::profile::{TargetKind, TargetSettings};
use rollcall_core::store::Store;

use super::*;

async fn synced_to_csv() -> Host {
    let host = host().await;
    host.ws
        .save_connection("school", &host.connection(None))
        .unwrap();
    let preview = host
        .ws
        .read_preview("school", Some(host.staff()), ReadObserver::default())
        .await
        .unwrap();
    assert!(preview.complete, "{:?}", preview.read_error);
    host.ws
        .set_target(
            "school",
            TargetSettings {
                kind: TargetKind::Csv,
                url: None,
                path: Some("platform".into()),
            },
        )
        .unwrap();
    let report = host
        .ws
        .sync("school", &SyncRequest::default(), SyncObserver::default())
        .await
        .unwrap();
    assert!(report.applied.create > 0, "{report:#?}");
    host
}

/// Every file and folder under `root`, the root included.
fn walk(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = vec![root.to_path_buf()];
    let mut index = 0;
    while index < found.len() {
        let path = found[index].clone();
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                found.push(entry.unwrap().path());
            }
        }
        index += 1;
    }
    found
}

#[cfg(unix)]
#[tokio::test]
async fn every_file_and_folder_in_the_data_folder_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let host = synced_to_csv().await;
    host.ws
        .export_preview("school", None, &ExportTo::DataFolder)
        .unwrap();
    let root = host.ws.data_dir().path();
    let everything = walk(root);
    let names: Vec<String> = everything
        .iter()
        .map(|path| path.strip_prefix(root).unwrap().display().to_string())
        .collect();
    for expected in ["cache", "ledger", "platform", "exports", "profiles"] {
        assert!(
            names.iter().any(|name| name == expected),
            "{expected} in {names:?}"
        );
    }
    assert!(
        names
            .iter()
            .any(|name| name.starts_with("platform/changes-")),
        "{names:?}"
    );
    for path in everything {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        let wanted = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode, wanted, "{} is {mode:o}", path.display());
    }
}

#[tokio::test]
async fn a_damaged_cache_is_set_aside_and_the_next_read_rebuilds_it_and_says_so() {
    let host = host().await;
    host.ws
        .save_connection("school", &host.connection(None))
        .unwrap();
    let first = host
        .ws
        .read_preview("school", Some(host.staff()), ReadObserver::default())
        .await
        .unwrap();
    assert!(first.complete);
    assert!(first.problems.is_empty(), "{:?}", first.problems);

    let cache = Store::path_for(host.ws.data_dir(), "school");
    let garbage = vec![0x5a_u8; 64 * 1024];
    std::fs::write(&cache, &garbage).unwrap();

    let rebuilt = host
        .ws
        .read_preview("school", None, ReadObserver::default())
        .await
        .unwrap();
    assert!(rebuilt.complete, "{:?}", rebuilt.read_error);
    assert_eq!(rebuilt.users, first.users, "everyone was read again");
    let notice = rebuilt
        .problems
        .iter()
        .find(|problem| problem.code == "cache_set_aside")
        .unwrap_or_else(|| panic!("{:?}", rebuilt.problems));
    assert!(
        notice.message.starts_with(
            "The saved copy of your directory was damaged, so Rollcall set it aside and read everything again."
        ),
        "{}",
        notice.message
    );

    let folder = cache.parent().unwrap();
    let kept: Vec<_> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("school.sqlite3.damaged-")
        })
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(std::fs::read(&kept[0]).unwrap(), garbage, "kept as it was");
    assert!(
        notice
            .message
            .contains(&*kept[0].file_name().unwrap().to_string_lossy()),
        "{}",
        notice.message
    );

    let after = host
        .ws
        .read_preview("school", None, ReadObserver::default())
        .await
        .unwrap();
    assert!(after.complete);
    assert!(after.problems.is_empty(), "said once: {:?}", after.problems);
}

#[tokio::test]
async fn a_sync_after_a_damaged_cache_reads_again_and_reports_it() {
    let host = synced_to_csv().await;
    std::fs::write(
        Store::path_for(host.ws.data_dir(), "school"),
        b"not a database at all, but long enough to look like a header of one",
    )
    .unwrap();
    let report = host
        .ws
        .sync("school", &SyncRequest::default(), SyncObserver::default())
        .await
        .unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|problem| problem.code == "cache_set_aside"),
        "{:?}",
        report.problems
    );
    assert_eq!(
        report.plan.total(),
        0,
        "the rebuilt cache holds the same people: {report:#?}"
    );
}

#[tokio::test]
async fn a_damaged_ledger_stops_the_sync_and_is_never_replaced() {
    let host = synced_to_csv().await;
    let ledger = Ledger::path_for(host.ws.data_dir(), "school");
    let garbage = vec![0xa5_u8; 32 * 1024];
    std::fs::write(&ledger, &garbage).unwrap();
    let before = host.sandbox.control().counters().total;

    let refused = host
        .ws
        .sync("school", &SyncRequest::default(), SyncObserver::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Ledger, "{refused:?}");
    assert!(
        refused.message.contains(&ledger.display().to_string()),
        "names the file: {}",
        refused.message
    );
    assert!(
        refused.message.contains("damaged") && refused.message.contains("backup"),
        "says what to do: {}",
        refused.message
    );
    assert_eq!(std::fs::read(&ledger).unwrap(), garbage, "left as it was");
    assert_eq!(
        host.sandbox.control().counters().total,
        before,
        "nothing was read or written"
    );
}
