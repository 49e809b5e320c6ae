//! `cobrowse bench` runs end to end on a small setting and reports every figure: join time in
//! a real agent tab, glass-to-glass latency per workload for ours and both anchors measured on
//! the same work, the split per stage, frame rate, bandwidth, CPU, replayed sessions at once,
//! memory per session, the targets, the plot, and the cluster's figures (relay, kills, load). It asserts what the report says, never how
//! fast.

use std::process::Command;

#[test]
fn the_bench_command_reports_every_figure() {
    let out = std::env::temp_dir().join(format!("cobrowse-bench-test-{}", std::process::id()));
    let run = Command::new(env!("CARGO_BIN_EXE_cobrowse"))
        .args(["bench", "--quick", "--sessions", "2", "--seconds", "1", "--joins", "2", "--out"])
        .arg(&out)
        .output()
        .expect("cobrowse runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "bench failed: {}\n{stdout}", String::from_utf8_lossy(&run.stderr));
    for heading in [
        "Join (the agent view's",
        "ours against the anchors",
        "Where our time goes",
        "Sessions at once",
        "Targets",
        "Write-mode latency",
        "Cluster: 3 nodes",
    ] {
        assert!(stdout.contains(heading), "no {heading:?} in:\n{stdout}");
    }

    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("bench.json")).unwrap())
        .expect("the JSON report parses");
    assert_eq!(json["join_to_drawn_ms"]["samples"], 2);
    assert!(json["join_to_drawn_ms"]["p50"].as_f64().unwrap() >= json["join_to_received_ms"]["p50"].as_f64().unwrap());
    let workloads = json["workloads"].as_array().unwrap();
    let workload = |name: &str| {
        workloads.iter().find(|w| w["workload"].as_str().unwrap().starts_with(name)).unwrap_or_else(|| panic!("{name}"))
    };
    let watched = |row: &serde_json::Value, by: &str| {
        row["watched"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["watcher"] == by)
            .cloned()
            .unwrap_or_else(|| panic!("{by}: {row}"))
    };
    // Every typed key reached the agent's canvas, for ours and for both anchors, and the last
    // frame showed the last key.
    let typing = workload("typing");
    for by in ["ours", "mirror", "pictures"] {
        let w = watched(typing, by);
        assert!(w["latency_ms"]["samples"].as_u64().unwrap() >= 5, "{by}: {w}");
        assert_eq!(w["unseen_changes"], 0, "{by}: {w}");
        assert!(w["bytes_per_second"].as_f64().unwrap() > 0.0, "{by}: {w}");
    }
    assert_eq!(watched(typing, "ours")["newest_state_shown"], true);
    // Our time is split into every stage, adding up to about the whole.
    let split = &typing["split"];
    assert_eq!(split["stages"].as_array().unwrap().len(), 9, "{split}");
    assert!(split["followed"].as_u64().unwrap() >= 5, "{split}");
    // Third-party apps are measured too.
    let todo = workload("to-do app");
    assert!(watched(todo, "ours")["latency_ms"]["samples"].as_u64().unwrap() > 0, "{todo}");
    // An idle page costs the agent nothing.
    assert_eq!(watched(workload("idle"), "ours")["bytes_per_second"].as_f64().unwrap(), 0.0);
    // The scripted visits are measured three ways; a screen share costs more than ours.
    let browsing = workload("scripted browsing (demo site)");
    let (ours, jpeg) = (
        watched(browsing, "ours")["bytes_per_second"].as_f64().unwrap(),
        watched(browsing, "pictures")["bytes_per_second"].as_f64().unwrap(),
    );
    assert!(ours > 0.0 && jpeg > ours, "ours {ours}, JPEG {jpeg}");

    // In write mode, every character the agent typed arrived in the customer's field.
    assert_eq!(json["write_mode_latency_ms"]["samples"], 50, "{}", json["write_mode_latency_ms"]);

    // Recorded visits were replayed at once.
    assert!(json["recordings"].as_array().unwrap().iter().all(|r| r["messages"].as_u64().unwrap() > 0));
    let load = json["load"].as_array().unwrap();
    assert_eq!(load.len(), 1);
    assert_eq!(load[0]["sessions"], 2);
    assert_eq!(load[0]["failed"], 0, "{}", load[0]);
    assert!(load[0]["latency_ms"]["samples"].as_u64().unwrap() > 0);
    assert!(load[0]["mb_per_session"].as_f64().unwrap() > 1.0, "memory is measured");
    assert!(load[0]["chromium_cpu_percent"].as_f64().unwrap() > 0.0, "CPU is measured");
    assert!(load[0]["frames_per_second_per_session"].as_f64().unwrap() > 0.0, "frames are counted");
    assert!(!json["targets"].as_array().unwrap().is_empty());

    // The cluster: a relayed agent sees the changes; after each kill the agent's view came back.
    let cluster = &json["cluster"];
    assert!(cluster["owner_latency_ms"]["samples"].as_u64().unwrap() > 0, "{cluster}");
    assert!(cluster["relayed_latency_ms"]["samples"].as_u64().unwrap() > 0, "{cluster}");
    assert_eq!(cluster["kill_to_live_ms"]["samples"], 5, "{cluster}");
    assert_eq!(cluster["kills_not_back"], 0, "{cluster}");
    assert_eq!(cluster["cluster"][0]["sessions"], 2, "the same load on the cluster: {cluster}");
    assert_eq!(cluster["cluster"][0]["failed"], 0, "{cluster}");

    assert!(std::fs::read_to_string(out.join("latency.svg")).unwrap().starts_with("<svg"));
    assert!(std::fs::read_to_string(out.join("bench.md")).unwrap().contains("| sessions |"));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn bad_bench_options_are_refused_naming_the_option() {
    for args in [
        &["--sessions", "0"][..],
        &["--seconds", "fast"],
        &["--joins"],
        &["--colour", "red"],
        &["--pixel-ratio", "9"],
        &["--device", "fridge"],
        &["--skip", "everything"],
    ] {
        let run = Command::new(env!("CARGO_BIN_EXE_cobrowse")).arg("bench").args(args).output().unwrap();
        assert_eq!(run.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains(args[0]) && stderr.contains("--help"), "{args:?}: {stderr}");
    }
}
