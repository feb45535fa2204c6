//! The commands the window may call. Each is a thin adapter: read managed state or call
//! rollcall-core, and turn failures into a [`CommandError`] the UI can show.

use serde::Serialize;
use tauri::State;

use crate::demo::DemoTenant;

/// An error as the UI receives it: a stable `code` to branch on and a `message` to show.
#[derive(Debug, Serialize)]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
}

/// What the window needs to know at start: the version and, in demo mode, the made-up
/// organisation it is exploring.
#[derive(Debug, Serialize)]
pub struct AppStatus {
    pub version: &'static str,
    pub demo: Option<DemoStatus>,
}

#[derive(Debug, Serialize)]
pub struct DemoStatus {
    pub tenant_name: String,
    pub tenant_domain: String,
    pub people: usize,
    pub authority_url: String,
}

#[tauri::command]
pub fn app_status(demo: State<'_, Option<DemoTenant>>) -> Result<AppStatus, CommandError> {
    Ok(AppStatus {
        version: env!("CARGO_PKG_VERSION"),
        demo: demo.as_ref().map(|tenant| DemoStatus {
            tenant_name: tenant.info().tenant.name.clone(),
            tenant_domain: tenant.info().tenant.domain.clone(),
            people: tenant.info().users,
            authority_url: tenant.info().authority_url.clone(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_reaches_the_ui_with_the_field_names_it_reads() {
        let status = AppStatus {
            version: "1.0.0",
            demo: Some(DemoStatus {
                tenant_name: "Northwind Academy".into(),
                tenant_domain: "northwind.example".into(),
                people: 250,
                authority_url: "http://127.0.0.1:8400".into(),
            }),
        };
        let json = serde_json::to_value(&status).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "version": "1.0.0",
                "demo": {
                    "tenant_name": "Northwind Academy",
                    "tenant_domain": "northwind.example",
                    "people": 250,
                    "authority_url": "http://127.0.0.1:8400"
                }
            })
        );
        let real = serde_json::to_value(AppStatus {
            version: "1.0.0",
            demo: None,
        })
        .unwrap();
        assert_eq!(real["demo"], serde_json::Value::Null);
    }

    #[test]
    fn errors_reach_the_ui_as_code_and_message() {
        let error = CommandError {
            code: "data_dir",
            message: "Rollcall could not create its data folder.".into(),
        };
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            serde_json::json!({"code": "data_dir", "message": "Rollcall could not create its data folder."})
        );
    }
}
