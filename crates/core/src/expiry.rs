//! When the client secret runs out: from the date the admin copied from the admin center, or,
//! when the app holds `Application.Read.All`, from its own registration in Graph. Warnings come
//! at 30, 14 and 7 days, and an expired secret is an error.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::auth::AccessToken;
use crate::cloud::PortalLinks;
use crate::credentials::ClientId;
use crate::diagnosis::Diagnosis;
use crate::probe::{GraphFailure, graph_get};
use crate::secret::Secret;

/// The days before expiry at which Rollcall warns, most distant first.
pub const WARN_AT_DAYS: [i64; 3] = [30, 14, 7];

/// How close a secret is to expiring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExpiryStage {
    /// More than 30 days left.
    Fine,
    /// 30 days or fewer.
    Within30,
    /// 14 days or fewer.
    Within14,
    /// 7 days or fewer.
    Within7,
    /// The date has passed.
    Expired,
}

/// The stage for a secret with `days_left` days to go (negative: expired).
pub fn stage(days_left: i64) -> ExpiryStage {
    match days_left {
        d if d < 0 => ExpiryStage::Expired,
        d if d <= WARN_AT_DAYS[2] => ExpiryStage::Within7,
        d if d <= WARN_AT_DAYS[1] => ExpiryStage::Within14,
        d if d <= WARN_AT_DAYS[0] => ExpiryStage::Within30,
        _ => ExpiryStage::Fine,
    }
}

/// Where an expiry date came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpirySource {
    /// Entered by the admin in the profile.
    Entered,
    /// Read from the app registration in Graph.
    Graph,
}

/// The finding for a secret expiring on `expires` (a UTC date), seen at `now`; `None` when more
/// than 30 days are left.
pub fn expiry_diagnosis(
    expires: NaiveDate,
    source: ExpirySource,
    now: DateTime<Utc>,
    links: &PortalLinks,
) -> Option<Diagnosis> {
    let days_left = (expires - now.date_naive()).num_days();
    let date = expires.format("%Y-%m-%d").to_string();
    match stage(days_left) {
        ExpiryStage::Fine => None,
        ExpiryStage::Within30 | ExpiryStage::Within14 | ExpiryStage::Within7 => {
            Some(Diagnosis::secret_expiring(days_left, &date, links))
        }
        ExpiryStage::Expired => Some(Diagnosis::secret_expired(
            match source {
                ExpirySource::Entered => {
                    format!("The expiry date entered for the client secret, {date}, has passed.")
                }
                ExpirySource::Graph => format!(
                    "The app's registration shows that the client secret expired on {date}."
                ),
            },
            links,
        )),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PasswordCredential {
    end_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    hint: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApplicationSecrets {
    #[serde(default)]
    password_credentials: Vec<PasswordCredential>,
}

/// Reads the app's secrets from its registration and picks the one in use: the one whose
/// `hint` (its first three characters) matches, or the only one. `Ok(None)` when it cannot be
/// told which secret is in use.
pub(crate) async fn expiry_from_graph(
    http: &reqwest::Client,
    graph_url: &str,
    token: &AccessToken,
    client_id: &ClientId,
    secret: &Secret,
) -> Result<Option<DateTime<Utc>>, GraphFailure> {
    let json = graph_get(
        http,
        graph_url,
        token,
        &format!("applications(appId='{client_id}')?$select=id,passwordCredentials"),
    )
    .await?;
    let application: ApplicationSecrets = serde_json::from_value(json)
        .map_err(|error| GraphFailure::Unreadable(error.to_string()))?;
    let prefix: String = secret.expose().chars().take(3).collect();
    let matching: Vec<&PasswordCredential> = application
        .password_credentials
        .iter()
        .filter(|credential| credential.hint.as_deref() == Some(prefix.as_str()))
        .collect();
    let chosen = match (
        matching.as_slice(),
        application.password_credentials.as_slice(),
    ) {
        ([], [only]) => Some(only),
        ([], _) => None,
        (several, _) => several.iter().copied().max_by_key(|c| c.end_date_time),
    };
    Ok(chosen.and_then(|credential| credential.end_date_time))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::Cloud;
    use crate::diagnosis::DiagnosisCode;

    #[test]
    fn stages_follow_the_warning_days() {
        assert_eq!(stage(31), ExpiryStage::Fine);
        assert_eq!(stage(30), ExpiryStage::Within30);
        assert_eq!(stage(15), ExpiryStage::Within30);
        assert_eq!(stage(14), ExpiryStage::Within14);
        assert_eq!(stage(8), ExpiryStage::Within14);
        assert_eq!(stage(7), ExpiryStage::Within7);
        assert_eq!(stage(0), ExpiryStage::Within7);
        assert_eq!(stage(-1), ExpiryStage::Expired);
    }

    #[test]
    fn diagnoses_by_date() {
        let links = Cloud::Global.links(None);
        let now = DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let on = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
        assert_eq!(
            expiry_diagnosis(on("2026-04-01"), ExpirySource::Entered, now, &links),
            None
        );
        let warning =
            expiry_diagnosis(on("2026-03-31"), ExpirySource::Entered, now, &links).unwrap();
        assert_eq!(warning.code, DiagnosisCode::SecretExpiring);
        assert_eq!(warning.title, "The client secret expires in 30 days");
        let today = expiry_diagnosis(on("2026-03-01"), ExpirySource::Graph, now, &links).unwrap();
        assert_eq!(today.title, "The client secret expires today");
        let past = expiry_diagnosis(on("2026-02-27"), ExpirySource::Graph, now, &links).unwrap();
        assert_eq!(past.code, DiagnosisCode::SecretExpired);
        assert!(past.cause.contains("2026-02-27"));
    }
}
