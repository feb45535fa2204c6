//! The TypeScript types of the window's commands (arguments, replies, errors and events),
//! generated from the Rust types so the two can never drift. The test below fails when
//! `ui/src/lib/backend/generated.ts` is out of date; `ROLLCALL_WRITE_TYPES=1 cargo test -p
//! rollcall bindings` writes it anew.

use rollcall_core::apply::{Counts, PersonError, Phase, SyncProgress};
use rollcall_core::check::{CheckReport, TenantSummary};
use rollcall_core::cloud::PortalLinks;
use rollcall_core::diagnosis::{Diagnosis, DiagnosisCode, Severity};
use rollcall_core::directory::{GroupChoice, SavedGroup};
use rollcall_core::graph::ReadProgress;
use rollcall_core::guard::Hold;
use rollcall_core::history::{DeactivatedAccount, RunOutcome, RunSummary, Trigger};
use rollcall_core::journal::Resolution;
use rollcall_core::listing::{ChangeKind, Outcome, PlannedPerson, ValueChange};
use rollcall_core::ops::{
    AccountSample, ChosenCloud, ConnectionOverview, ConnectionRequest, ErrorCode, ExportedFile,
    FieldProblem, MappedValue, MappingPreview, NotifyChoice, NotifyField, NotifyFieldProblem,
    NotifySetup, OpError, PermissionNeed, PersonMatch, PlatformAccount, PortalPages,
    RegistrationState, SavedConnection, SavedScope, ScheduleStatus, ScopeChoice, TargetChoice,
    TargetField, TargetFieldProblem, TenantLookup, UnsendablePerson,
};
use rollcall_core::permissions::PermissionReport;
use rollcall_core::plan::MatchedBy;
use rollcall_core::preview::{Preview, PreviewUser, Totals, UserKind, Warning};
use rollcall_core::profile::{
    EmailSettings, EmailWhen, MappingSettings, NotifySettings, SafetySettings, TargetKind,
    TargetSettings, UsernameSource,
};
use rollcall_core::records::ReadProblem;
use rollcall_core::schedule::ScheduleSettings;
use rollcall_core::sync::{AdoptedAccount, Estimate, PlannedDeactivation, SyncReport};
use ts_rs::{Config, TS};

use crate::commands::{AppStatus, DemoApp, DemoPlatform, DemoStatus, DemoValues, SyncChoice};
use crate::update::{UpdateCheck, UpdateInstalled, UpdateProgress};

/// Where the generated file lives, from this crate's folder.
pub const GENERATED: &str = "../ui/src/lib/backend/generated.ts";

/// The whole generated file.
pub fn typescript() -> String {
    // Counts and milliseconds are far below 2^53, so they are plain numbers in the window.
    let cfg = Config::new().with_large_int("number");
    let declarations = [
        AppStatus::decl(&cfg),
        DemoStatus::decl(&cfg),
        DemoValues::decl(&cfg),
        DemoApp::decl(&cfg),
        ErrorCode::decl(&cfg),
        OpError::decl(&cfg),
        ChosenCloud::decl(&cfg),
        ConnectionRequest::decl(&cfg),
        FieldProblem::decl(&cfg),
        TenantLookup::decl(&cfg),
        PortalLinks::decl(&cfg),
        PortalPages::decl(&cfg),
        PermissionNeed::decl(&cfg),
        SavedConnection::decl(&cfg),
        Severity::decl(&cfg),
        DiagnosisCode::decl(&cfg),
        Diagnosis::decl(&cfg),
        TenantSummary::decl(&cfg),
        PermissionReport::decl(&cfg),
        CheckReport::decl(&cfg),
        GroupChoice::decl(&cfg),
        SavedGroup::decl(&cfg),
        ScopeChoice::decl(&cfg),
        SavedScope::decl(&cfg),
        ReadProgress::decl(&cfg),
        Warning::decl(&cfg),
        UserKind::decl(&cfg),
        PreviewUser::decl(&cfg),
        Totals::decl(&cfg),
        ReadProblem::decl(&cfg),
        Preview::decl(&cfg),
        ExportedFile::decl(&cfg),
        DemoPlatform::decl(&cfg),
        TargetKind::decl(&cfg),
        TargetSettings::decl(&cfg),
        TargetChoice::decl(&cfg),
        TargetField::decl(&cfg),
        TargetFieldProblem::decl(&cfg),
        UsernameSource::decl(&cfg),
        MappingSettings::decl(&cfg),
        SafetySettings::decl(&cfg),
        MappedValue::decl(&cfg),
        AccountSample::decl(&cfg),
        UnsendablePerson::decl(&cfg),
        MappingPreview::decl(&cfg),
        Trigger::decl(&cfg),
        Phase::decl(&cfg),
        SyncProgress::decl(&cfg),
        Counts::decl(&cfg),
        ChangeKind::decl(&cfg),
        Outcome::decl(&cfg),
        ValueChange::decl(&cfg),
        PlannedPerson::decl(&cfg),
        PersonError::decl(&cfg),
        Hold::decl(&cfg),
        Estimate::decl(&cfg),
        MatchedBy::decl(&cfg),
        AdoptedAccount::decl(&cfg),
        PlannedDeactivation::decl(&cfg),
        DeactivatedAccount::decl(&cfg),
        Resolution::decl(&cfg),
        SyncReport::decl(&cfg),
        SyncChoice::decl(&cfg),
        RunOutcome::decl(&cfg),
        RunSummary::decl(&cfg),
        ConnectionOverview::decl(&cfg),
        PersonMatch::decl(&cfg),
        PlatformAccount::decl(&cfg),
        ScheduleSettings::decl(&cfg),
        RegistrationState::decl(&cfg),
        ScheduleStatus::decl(&cfg),
        EmailWhen::decl(&cfg),
        EmailSettings::decl(&cfg),
        NotifySettings::decl(&cfg),
        NotifySetup::decl(&cfg),
        NotifyChoice::decl(&cfg),
        NotifyField::decl(&cfg),
        NotifyFieldProblem::decl(&cfg),
        UpdateCheck::decl(&cfg),
        UpdateInstalled::decl(&cfg),
        UpdateProgress::decl(&cfg),
    ];
    let mut text = String::from(
        "// Generated from the Rust types by `ROLLCALL_WRITE_TYPES=1 cargo test -p rollcall bindings`.\n// Do not edit: change the Rust type and generate again.\n",
    );
    for declaration in declarations {
        text.push_str("\nexport ");
        text.push_str(&declaration);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_types_are_generated_from_the_rust_types() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(GENERATED);
        let expected = typescript();
        if std::env::var_os("ROLLCALL_WRITE_TYPES").is_some_and(|value| !value.is_empty()) {
            std::fs::write(&path, &expected).unwrap();
            return;
        }
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            current == expected,
            "{} is out of date with the Rust types: run `ROLLCALL_WRITE_TYPES=1 cargo test -p rollcall bindings` and commit it",
            path.display()
        );
    }
}
