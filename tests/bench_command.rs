//! `cobrowse bench` runs end to end on a small setting and reports every figure: join time,
//! glass-to-glass latency per workload, frame rate, bandwidth against full-frame JPEG, CPU,
//! memory per session, and the plot. It asserts what the report says, never how fast.

use std::process::Command;

#[test]
fn the_bench_command_reports_every_figure() {
    let out = std::env::temp_dir().join(format!("cobrowse-bench-test-{}", std::process::id()));
    let run = Command::new(env!("CARGO_BIN_EXE_cobrowse"))
        .args(["bench", "--sessions", "2", "--seconds", "1", "--joins", "2", "--out"])
        .arg(&out)
        .output()
        .expect("cobrowse runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "bench failed: {}\n{stdout}", String::from_utf8_lossy(&run.stderr));
    for heading in ["Join to first frame", "One session, per workload", "Sessions at once", "Write-mode latency"] {
        assert!(stdout.contains(heading), "no {heading:?} in:\n{stdout}");
    }

    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("bench.json")).unwrap())
        .expect("the JSON report parses");
    assert_eq!(json["join_to_first_frame_ms"]["samples"], 2);
    assert!(json["join_to_first_frame_ms"]["p50"].as_f64().unwrap() > 0.0);
    let workloads = json["workloads"].as_array().unwrap();
    let workload = |name: &str| {
        workloads.iter().find(|w| w["workload"].as_str().unwrap().starts_with(name)).unwrap_or_else(|| panic!("{name}"))
    };
    // Every typed key reached the agent as a frame showing it, and the last frame is current.
    let typing = workload("typing");
    assert!(typing["latency_ms"]["samples"].as_u64().unwrap() >= 5, "{typing}");
    assert_eq!(typing["unseen_changes"], 0, "{typing}");
    assert_eq!(typing["newest_state_shown"], true, "{typing}");
    assert!(typing["frames_per_second"].as_f64().unwrap() > 0.0);
    assert!(typing["bytes_per_second"].as_f64().unwrap() > 0.0);
    // The charts page's canvases reach the agent (their pictures cost bytes) while the
    // page's other changes are all seen.
    let charts = workload("charts");
    assert!(charts["bytes_per_second"].as_f64().unwrap() > 0.0, "{charts}");
    assert_eq!(charts["unseen_changes"], 0, "{charts}");
    // An idle page costs the agent nothing.
    assert_eq!(workload("idle")["bytes_per_second"].as_f64().unwrap(), 0.0);
    // The browsing workload is compared with whole JPEG frames of the same pictures.
    let browsing = workload("scripted browsing");
    let (ours, jpeg) =
        (browsing["bytes_per_second"].as_f64().unwrap(), browsing["jpeg_bytes_per_second"].as_f64().unwrap());
    assert!(ours > 0.0 && jpeg > ours, "ours {ours}, JPEG {jpeg}");

    // In write mode, every character the agent typed arrived in the customer's field.
    assert_eq!(json["write_mode_latency_ms"]["samples"], 50, "{}", json["write_mode_latency_ms"]);

    let scale = json["scale"].as_array().unwrap();
    assert_eq!(scale.len(), 1);
    assert_eq!(scale[0]["sessions"], 2);
    assert!(scale[0]["latency_ms"]["samples"].as_u64().unwrap() > 0);
    assert!(scale[0]["mb_per_session"].as_f64().unwrap() > 1.0, "memory is measured");
    assert!(scale[0]["chromium_cpu_percent"].as_f64().unwrap() > 0.0, "CPU is measured");
    assert!(scale[0]["frames_per_second_per_session"].as_f64().unwrap() > 0.0, "frames are counted");

    assert!(std::fs::read_to_string(out.join("latency.svg")).unwrap().starts_with("<svg"));
    assert!(std::fs::read_to_string(out.join("bench.md")).unwrap().contains("| sessions |"));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn bad_bench_options_are_refused_with_the_usage() {
    for args in [
        &["--sessions", "0"][..],
        &["--seconds", "fast"],
        &["--joins"],
        &["--colour", "red"],
        &["--pixel-ratio", "9"],
        &["--device", "fridge"],
    ] {
        let run = Command::new(env!("CARGO_BIN_EXE_cobrowse")).arg("bench").args(args).output().unwrap();
        assert_eq!(run.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains("Usage: cobrowse bench"), "{args:?}: {stderr}");
    }
}
