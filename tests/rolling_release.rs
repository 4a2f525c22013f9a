//! A kill switch under an active rolling release (contract/vercel.md
//! §"Rolling releases"), against a real PostgreSQL and the stateful fake
//! Vercel, through the command line: "configured ON · live on 10 %" is not
//! live; the lever's plan completes the release as a step of its own and
//! ends verified; a completion that fails is said, and the lever run again
//! completes it without a second build; the restore does the same.

mod common;

use common::panel_env;
use common::production::{Production, production, text};
use serde_json::Value;

const COMPLETE: &str = "/v1/projects/zrg/rolling-release/complete";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_switch_under_a_10_percent_release_is_not_live_until_its_plan_completes_the_release()
{
    let Production {
        db: _db,
        server: _fake_vercel,
        state,
        dir,
        name,
    } = production("rolling").await;
    let d = dir.path();
    let run = |args: &[&str]| panel_env(d, args, "", &[]);
    let lever = |args: &[&str]| {
        let mut all = vec!["lever"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--profile", &name, "--reason", "rolling test", "--yes"]);
        run(&all)
    };
    let live_item = || {
        let o = run(&["check", "--profile", &name, "--json"]);
        let report: Value = serde_json::from_slice(&o.stdout).expect("check json");
        report["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["id"] == "deploy.live.AUTO_SEND_REVISION_DISABLED")
            .cloned()
            .expect("the live item")
    };
    let completions = |state: &std::sync::Mutex<common::production::State>| {
        state
            .lock()
            .unwrap()
            .posts
            .iter()
            .filter(|(p, _)| p == COMPLETE)
            .count()
    };

    // Someone flipped the switch ON outside the panel and deployed with
    // Rolling Releases on: the new build dpl_1 serves 10 %, dpl_0 the rest.
    {
        let mut s = state.lock().unwrap();
        s.rolling_releases = true;
        s.clock += 1000;
        let at = s.clock;
        s.env
            .insert("AUTO_SEND_REVISION_DISABLED".into(), ("1".into(), at));
        s.history
            .push(("AUTO_SEND_REVISION_DISABLED".into(), "1".into(), at));
        s.clock += 1000;
        let built = s.clock;
        s.deployments
            .push(("dpl_1".into(), built, "READY".into(), 2, "READY"));
        s.rolling = Some(("dpl_0".into(), "dpl_1".into()));
    }
    let item = live_item();
    assert_eq!(item["status"], "warn", "{item:#}");
    let finding = item["finding"].as_str().unwrap_or_default();
    assert!(
        finding.contains("configured ON · live on 10 % only"),
        "{item:#}"
    );

    // The kill switch: nothing to write or build, the release is completed.
    let o = lever(&["revision-kill-switch", "on"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("complete the rolling release"), "{out}");
    assert!(
        out.contains("so that dpl_1 serves all of production"),
        "{out}"
    );
    assert!(
        out.contains("dpl_1 READY and serving; the new values are live"),
        "{out}"
    );
    assert!(!out.contains("redeploy production"), "no build: {out}");
    {
        let s = state.lock().unwrap();
        assert_eq!(s.rolling, None, "completed");
        assert_eq!(s.deployments.len(), 2, "no second build");
    }
    assert_eq!(completions(&state), 1);
    let item = live_item();
    assert_eq!(item["status"], "pass", "{item:#}");

    // The restore: no release is active, but the project has Rolling
    // Releases on, so its build starts one; the plan foresees it. The
    // completion fails once (a 500 that did not take effect).
    {
        let mut s = state.lock().unwrap();
        s.fail = 1;
        s.fail_status = 500;
        s.fail_on = Some(("POST", COMPLETE));
    }
    let o = lever(&["revision-kill-switch", "off"]);
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("the project has Rolling Releases on: the new build starts one"),
        "{out}"
    );
    assert!(
        out.contains("dpl_3 READY; the rolling release it serves in is completed next"),
        "{out}"
    );
    assert!(
        out.contains("the rolling release could not be completed"),
        "{out}"
    );
    assert!(
        out.contains("production is still served by both deployments"),
        "{out}"
    );
    assert_eq!(
        state.lock().unwrap().rolling,
        Some(("dpl_1".to_owned(), "dpl_3".to_owned())),
        "nothing was completed"
    );
    let item = live_item();
    assert_ne!(item["status"], "pass", "live on 10 % only: {item:#}");

    // Run again: the plan is the completion alone (dpl_3 carries the value).
    let o = lever(&["revision-kill-switch", "off"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("so that dpl_3 serves all of production"),
        "{out}"
    );
    assert!(
        !out.contains("redeploy production"),
        "no second build: {out}"
    );
    assert!(
        out.contains("dpl_3 READY and serving; the new values are live"),
        "{out}"
    );
    {
        let s = state.lock().unwrap();
        assert_eq!(s.rolling, None);
        assert_eq!(s.deployments.len(), 3);
        assert_eq!(s.serving().map(|d| d.0.as_str()), Some("dpl_3"));
    }
    assert_eq!(completions(&state), 3, "one failed, two taken");
    let item = live_item();
    assert_eq!(item["status"], "pass", "{item:#}");
    assert!(
        item["finding"]
            .as_str()
            .is_some_and(|f| f.contains("configured OFF, live OFF")),
        "{item:#}"
    );
}
