//! Build script: lets tauri-build read tauri.conf.json and the capabilities and embed them,
//! and declares the app's own commands so each must be allowed by a capability.

/// The commands in src/commands.rs; each gets an `allow-<name>` permission.
const COMMANDS: &[&str] = &[
    "app_status",
    "check_inputs",
    "find_tenant",
    "portal_links",
    "permission_needs",
    "check_connection",
    "save_connection",
    "troubleshooting",
    "demo_values",
    "search_groups",
    "resolve_group",
    "read_preview",
    "cancel_read",
    "saved_scope",
    "export_preview_csv",
    "choose_export_file",
    "sync_now",
    "sync_history",
    "undo_run",
    "demo_platform",
    "check_target_inputs",
    "choose_target_folder",
    "set_target",
    "check_target",
    "mapping_preview",
    "save_mapping",
    "safety",
    "save_safety",
    "connections",
    "run_report",
    "export_report_csv",
    "find_people",
    "platform_account",
    "open_log_folder",
    "schedule_status",
    "set_schedule",
    "clear_schedule",
    "notify_setup",
    "check_notify",
    "save_notify",
    "send_test_email",
    "check_for_update",
    "install_update",
    "restart_after_update",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        println!(
            "cargo::error=tauri-build failed: {error:#}. Check tauri.conf.json and capabilities/."
        );
    }
}
