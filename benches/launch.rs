//! The release console next to a minimal Tauri window built in the same run
//! (`examples/minimal-window`): the time from asking WebDriver for a session (which launches the
//! app) to a focused, enabled search box, and the PSS of the app's whole process tree once it
//! has settled. Goal: at most 1.15× on both. `make bench` builds both and runs this inside a
//! private Secret Service (the console keeps its sandbox keys in the keychain).

#![allow(clippy::print_stdout)]

#[allow(dead_code)]
#[path = "../tests/e2e/harness.rs"]
mod harness;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use harness::Harness;

const CONSOLE: &str = env!("CARGO_BIN_EXE_c2p-care");
/// Launches of each app; their medians are compared. On two cores a single launch varies by
/// ±15 %, and a median of 9 still moved the ratio by ±0.05 between runs.
const RUNS: usize = 15;
/// How long an app runs after its search box is ready before its memory is read.
const SETTLE: Duration = Duration::from_secs(3);
const GOAL: f64 = 1.15;

/// One launch: how long until the search box was ready, how much of that the page itself took
/// (from the start of its navigation), and the tree's PSS then, in all and by process name.
struct Sample {
    ready: Duration,
    page: Duration,
    pss_kib: u64,
    pss_by_name: HashMap<String, u64>,
}

/// The minimal window, built by `make bench` next to this benchmark's own binary.
fn minimal_window() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    let release = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let path = release.join("examples").join("minimal-window");
    assert!(
        path.exists(),
        "{} is missing: run `make bench`, which builds it",
        path.display()
    );
    path
}

async fn launch(app: &Path, name: &str) -> Sample {
    let home = tempfile::tempdir().expect("temporary home");
    let harness = Harness::start(&format!("bench-{name}"), home.path());
    let started = Instant::now();
    let driver = harness.open_app_with(app, "eager").await;
    let page = loop {
        let ready = driver
            .execute(
                "const box = document.querySelector('[data-testid=search]');
                 return !!box && !box.disabled && document.activeElement === box
                   ? performance.now() : null;",
                Vec::new(),
            )
            .await
            .expect("the page answers");
        if let Some(page_ms) = ready.json().as_f64() {
            break Duration::from_secs_f64(page_ms / 1000.0);
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{name}: no interactive search box after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let ready = started.elapsed();
    tokio::time::sleep(SETTLE).await;
    let root = find_process(harness.driver_pid(), app)
        .unwrap_or_else(|| panic!("{name}: its process is not under tauri-driver"));
    let mut pss_by_name = HashMap::new();
    for pid in descendants_and_self(root) {
        *pss_by_name.entry(process_name(pid)).or_default() += pss_kib(pid);
    }
    let pss_kib = pss_by_name.values().sum();
    driver.quit().await.expect("session ends");
    Sample {
        ready,
        page,
        pss_kib,
        pss_by_name,
    }
}

/// Parent pid of every process.
fn parents() -> HashMap<u32, u32> {
    let mut parents = HashMap::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid …": comm may hold spaces, so read after the last ')'.
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        if let Some(ppid) = after.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
            parents.insert(pid, ppid);
        }
    }
    parents
}

fn descendants_and_self(root: u32) -> Vec<u32> {
    let parents = parents();
    let mut tree = vec![root];
    let mut grew = true;
    while grew {
        grew = false;
        for (&pid, ppid) in &parents {
            if tree.contains(ppid) && !tree.contains(&pid) {
                tree.push(pid);
                grew = true;
            }
        }
    }
    tree
}

/// The process under `ancestor` running `exe`.
fn find_process(ancestor: u32, exe: &Path) -> Option<u32> {
    let exe = exe.canonicalize().ok()?;
    descendants_and_self(ancestor)
        .into_iter()
        .find(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|path| path == exe))
}

/// A process's short name, the same for the console and the minimal window's main process so
/// that the two can be compared.
fn process_name(pid: u32) -> String {
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
    let name = exe.file_name().map(|n| n.to_string_lossy().into_owned());
    match name.as_deref() {
        Some("c2p-care" | "minimal-window") => "app".to_owned(),
        Some(other) => other.to_owned(),
        None => "?".to_owned(),
    }
}

fn pss_kib(pid: u32) -> u64 {
    let Ok(rollup) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else {
        return 0; // the process ended meanwhile
    };
    rollup
        .lines()
        .find_map(|line| line.strip_prefix("Pss:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn median<T: Ord + Copy>(mut values: Vec<T>) -> T {
    values.sort();
    values[values.len() / 2]
}

fn verdict(ratio: f64) -> &'static str {
    if ratio <= GOAL { "met" } else { "NOT met" }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let minimal = minimal_window();
    let console = Path::new(CONSOLE);
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    // Alternate, so that a slower moment of the machine falls on both.
    for run in 0..RUNS {
        theirs.push(launch(&minimal, &format!("minimal-{run}")).await);
        ours.push(launch(console, &format!("console-{run}")).await);
    }
    let ready = |s: &[Sample]| median(s.iter().map(|s| s.ready).collect());
    let pss = |s: &[Sample]| median(s.iter().map(|s| s.pss_kib).collect());
    let page = |s: &[Sample]| median(s.iter().map(|s| s.page).collect());
    let (ready_ours, ready_theirs) = (ready(&ours), ready(&theirs));
    let (pss_ours, pss_theirs) = (pss(&ours), pss(&theirs));
    let time_ratio = ready_ours.as_secs_f64() / ready_theirs.as_secs_f64();
    let pss_ratio = pss_ours as f64 / pss_theirs as f64;
    println!(
        "launch to an interactive search box (median of {RUNS}): console {} ms, minimal window {} ms: {time_ratio:.3}× (goal ≤ {GOAL}: {})",
        ready_ours.as_millis(),
        ready_theirs.as_millis(),
        verdict(time_ratio)
    );
    println!(
        "PSS of the whole process tree {} s after launch (median of {RUNS}): console {:.1} MiB, minimal window {:.1} MiB: {pss_ratio:.3}× (goal ≤ {GOAL}: {})",
        SETTLE.as_secs(),
        pss_ours as f64 / 1024.0,
        pss_theirs as f64 / 1024.0,
        verdict(pss_ratio)
    );
    println!(
        "  of the launch, the page's own part (from its navigation): console {} ms, minimal window {} ms",
        page(&ours).as_millis(),
        page(&theirs).as_millis()
    );
    let mut names: Vec<&String> = ours
        .iter()
        .chain(&theirs)
        .flat_map(|s| s.pss_by_name.keys())
        .collect();
    names.sort();
    names.dedup();
    for name in names {
        let of = |s: &[Sample]| {
            median(
                s.iter()
                    .map(|s| s.pss_by_name.get(name).copied().unwrap_or(0))
                    .collect(),
            )
        };
        println!(
            "  PSS of {name}: console {:.1} MiB, minimal window {:.1} MiB",
            of(&ours) as f64 / 1024.0,
            of(&theirs) as f64 / 1024.0
        );
    }
}
