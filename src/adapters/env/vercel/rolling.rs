//! A project's rolling release (contract/vercel.md §"Rolling releases"):
//! while one is ACTIVE, production is served by two deployments.

use super::{VercelClient, VercelError};

/// A project's rolling release, as far as the panel needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RollingInfo {
    /// `ACTIVE`, `COMPLETE` or `ABORTED`.
    pub state: String,
    /// The deployment that served before.
    pub current: String,
    /// The new one, taking traffic stage by stage.
    pub canary: String,
    /// The canary's share now, in percent, when the answer says.
    pub canary_share: Option<u8>,
}

impl VercelClient {
    /// `GET /v1/projects/{id}/rolling-release`: the project's rolling
    /// release, if one exists (`None`: none, or the project has the feature
    /// off — a 404). The shape is read leniently: a deployment may come as
    /// an id or an object, the stage's share under several names.
    pub async fn rolling_release(&self) -> Result<Option<RollingInfo>, VercelError> {
        let url = self.url(&["v1", "projects", &self.project, "rolling-release"]);
        let answer: serde_json::Value = match self.get_json(url, "rolling release").await {
            Ok(v) => v,
            Err(VercelError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let r = &answer["rollingRelease"];
        if r.is_null() {
            return Ok(None);
        }
        let id = |v: &serde_json::Value| -> Option<String> {
            match v {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Object(o) => o
                    .get("id")
                    .or_else(|| o.get("uid"))
                    .and_then(|i| i.as_str())
                    .map(str::to_owned),
                _ => None,
            }
        };
        let bad = |what: &str| VercelError::BadResponse(format!("rolling release: no {what}"));
        let stage = &r["activeStage"];
        let share = ["targetPercentage", "percentage", "trafficPercentage"]
            .iter()
            .find_map(|k| stage[*k].as_f64())
            .or_else(|| stage.as_f64())
            .map(|p| p.clamp(0.0, 100.0).round() as u8);
        Ok(Some(RollingInfo {
            state: r["state"].as_str().unwrap_or_default().to_owned(),
            current: id(&r["currentDeployment"]).ok_or_else(|| bad("currentDeployment"))?,
            canary: id(&r["canaryDeployment"]).ok_or_else(|| bad("canaryDeployment"))?,
            canary_share: share,
        }))
    }

    /// `POST /v1/projects/{id}/rolling-release/complete` with
    /// `{canaryDeploymentId}`: the canary serves all of production. The
    /// caller verifies by reading what serves; the answer is not trusted.
    pub async fn complete_rolling_release(&self, canary: &str) -> Result<(), VercelError> {
        let url = self.url(&[
            "v1",
            "projects",
            &self.project,
            "rolling-release",
            "complete",
        ]);
        let body = serde_json::json!({ "canaryDeploymentId": canary });
        let _: serde_json::Value = self
            .call_json(url, Some(&body), "complete the rolling release")
            .await?;
        Ok(())
    }

    /// `GET /v1/projects/{id}/rolling-release/config`: whether the project
    /// has Rolling Releases on, so a new production build starts a release
    /// instead of taking all traffic (`{rollingRelease: null}` or a 404: off).
    pub async fn rolling_release_configured(&self) -> Result<bool, VercelError> {
        let url = self.url(&["v1", "projects", &self.project, "rolling-release", "config"]);
        match self
            .get_json::<serde_json::Value>(url, "rolling release config")
            .await
        {
            Ok(v) => Ok(!v["rollingRelease"].is_null()),
            Err(VercelError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
