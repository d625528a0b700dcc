//! `segcopy demo`, as the README runs it: the JSON document the issue
//! asks for, and the failover it shows.

use std::process::Command;

fn demo(args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_segcopy"))
        .arg("demo")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap_or(-1), v, stderr)
}

#[test]
fn the_default_demo_fails_over_at_segment_7_and_restores_identical() {
    let (code, v, stderr) = demo(&[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(v["status"], "ok");
    assert_eq!(v["restore_identical"], true);
    let f = &v["failovers"][0];
    assert_eq!(
        (
            f["segment"].as_u64(),
            f["from_stream"].as_u64(),
            f["to_stream"].as_u64()
        ),
        (Some(7), Some(0), Some(1))
    );
    assert!(f["reason"].as_str().unwrap().contains("COPY ABORTED"));
    let segs = v["segments"].as_array().unwrap();
    assert_eq!(segs.len(), 32);
    let tape_a = segs[0]["tape"].as_str().unwrap().to_string();
    let tape_b = segs[7]["tape"].as_str().unwrap().to_string();
    assert_ne!(tape_a, tape_b);
    for (i, s) in segs.iter().enumerate() {
        assert_eq!(s["index"].as_u64(), Some(i as u64));
        let (stream, tape) = if i < 7 { (0, &tape_a) } else { (1, &tape_b) };
        assert_eq!(s["stream"].as_u64(), Some(stream));
        assert_eq!(s["tape"].as_str(), Some(tape.as_str()));
        // 8 MiB in 256 KiB tape blocks: 32 blocks each, from 0 on each tape.
        let first = (if i < 7 { i } else { i - 7 }) as u64 * 32;
        assert_eq!(s["first_block"].as_u64(), Some(first), "segment {i}");
        assert_eq!(s["last_block"].as_u64(), Some(first + 31), "segment {i}");
    }
    assert!(stderr.contains("FAILOVER at segment 7"), "{stderr}");
}

#[test]
fn mirror_and_no_fault_and_bad_flags() {
    let (code, v, stderr) = demo(&[
        "--mode",
        "mirror",
        "--size",
        "32MiB",
        "--segment-size",
        "4MiB",
        "--fault-at",
        "2",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(v["restore_identical"], true);
    assert_eq!(v["restore_copy"], 1);
    let (code, v, stderr) = demo(&["--no-fault", "--size", "16MiB"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(v["failovers"].as_array().unwrap().len(), 0);
    let out = Command::new(env!("CARGO_BIN_EXE_segcopy"))
        .args(["demo", "--segment-size", "1000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("not a whole number of the source's 512-byte blocks"),
        "{e}"
    );
}
