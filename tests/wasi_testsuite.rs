//! Every program in `../shared/wasi-testsuite/tests/*/testsuite/wasm32-wasip1/`
//! (the official preview 1 suite, built from AssemblyScript, C and Rust
//! elsewhere), run through the example WASI host in-process, checked against
//! its expected exit code and output. The suite's README gives the rules.
//!
//! All 72 must pass. A program whose spec names a `root` folder gets a
//! fresh, writable copy of it preopened as `/` (the suite's tests create and
//! delete files there; a fresh copy also means no `*.cleanup` leftovers), and
//! every program runs under a time limit.
//!
//! Not under Miri: wasmtime compiles wasm to machine code, which Miri cannot
//! run.
#![cfg(not(any(miri, guest_memory_no_engines)))]

#[path = "common/capture.rs"]
mod capture;
#[allow(dead_code)]
#[path = "../examples/wasi_run/wasi/mod.rs"]
mod wasi;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use capture::Capture;
use serde_json::Value;

/// A program and what its `NAME.json` expects (defaults where absent).
#[derive(Clone)]
struct Case {
    name: String,
    wasm: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    exit_code: i32,
    stdout: Option<String>,
    stderr: Option<String>,
    /// The fixture folder to preopen as `/`, if the spec names one.
    root: Option<String>,
}

fn load(wasm: PathBuf) -> Case {
    // `tests/<lang>/testsuite/wasm32-wasip1/NAME.wasm` is `<lang>/NAME`.
    let lang = wasm.ancestors().nth(3).and_then(Path::file_name).unwrap();
    let name = format!(
        "{}/{}",
        lang.to_string_lossy(),
        wasm.file_stem().unwrap().to_string_lossy()
    );
    let spec: Value = match std::fs::read_to_string(wasm.with_extension("json")) {
        Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: bad JSON: {e}")),
        Err(_) => Value::Object(Default::default()),
    };
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    let env = spec["env"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect()
        })
        .unwrap_or_default();
    Case {
        args: strings(&spec["args"]),
        env,
        exit_code: spec["exit_code"]
            .as_i64()
            .map_or(0, |c| i32::try_from(c).unwrap()),
        stdout: spec["stdout"].as_str().map(str::to_string),
        stderr: spec["stderr"].as_str().map(str::to_string),
        root: spec["root"].as_str().map(str::to_string),
        name,
        wasm,
    }
}

/// The folders the suite keeps its programs in, one per source language.
fn program_dirs(suite: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(suite.join("tests"))
        .unwrap()
        .map(|lang| lang.unwrap().path().join("testsuite/wasm32-wasip1"))
        .filter(|dir| dir.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn cases(suite: &Path) -> Vec<Case> {
    let mut wasms = Vec::new();
    for dir in program_dirs(suite) {
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "wasm") {
                wasms.push(f);
            }
        }
    }
    wasms.sort();
    wasms.into_iter().map(load).collect()
}

/// How long one program may take: generous, as all 72 together take about
/// a minute in a debug build here.
const TIME_LIMIT: Duration = Duration::from_secs(120);

/// Copies the folder `from` to `to`, writable whatever the source's modes.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
            let mut perms = std::fs::metadata(&target)?.permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&target, perms)?;
        }
    }
    let mut perms = std::fs::metadata(to)?.permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(to, perms)
}

/// Runs one case on its own thread, failing it if it takes longer than
/// [`TIME_LIMIT`] (the thread is then left behind; the test fails anyway).
fn run_limited(engine: &wasmtime::Engine, case: &Case, scratch: &Path) -> Result<(), String> {
    let preopens = match &case.root {
        Some(root) => {
            let _ = std::fs::remove_dir_all(scratch);
            copy_tree(&case.wasm.with_file_name(root), scratch)
                .map_err(|e| format!("copying {root}: {e}"))?;
            vec![(scratch.to_path_buf(), "/".to_string())]
        }
        None => Vec::new(),
    };
    let (send, receive) = mpsc::channel();
    let (engine, job) = (engine.clone(), case.clone());
    std::thread::spawn(move || {
        let _ = send.send(run(&engine, &job, preopens));
    });
    let outcome = receive
        .recv_timeout(TIME_LIMIT)
        .unwrap_or_else(|_| Err(format!("no answer within {TIME_LIMIT:?}")));
    let _ = std::fs::remove_dir_all(scratch);
    outcome
}

/// Runs one case; `Err` says what differed.
fn run(
    engine: &wasmtime::Engine,
    case: &Case,
    preopens: Vec<(PathBuf, String)>,
) -> Result<(), String> {
    let module =
        wasmtime::Module::from_file(engine, &case.wasm).map_err(|e| format!("compile: {e}"))?;
    let (stdout, stderr) = (Capture::default(), Capture::default());
    let program = case
        .wasm
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let config = wasi::Config {
        args: std::iter::once(program)
            .chain(case.args.iter().cloned())
            .collect(),
        env: case.env.clone(),
        stdin: Box::new(std::io::empty()),
        stdout: Box::new(stdout.clone()),
        stderr: Box::new(stderr.clone()),
        preopens,
    };
    let outcome = wasi::run(engine, &module, config).map_err(|e| format!("trapped: {e:?}"))?;
    if outcome.exit_code != case.exit_code {
        return Err(format!(
            "exit code {} (want {}); stdout {:?}; stderr {:?}",
            outcome.exit_code,
            case.exit_code,
            stdout.text(),
            stderr.text()
        ));
    }
    if let Some(want) = &case.stdout
        && stdout.text() != *want
    {
        return Err(format!("stdout {:?} (want {want:?})", stdout.text()));
    }
    if let Some(want) = &case.stderr
        && stderr.text() != *want
    {
        return Err(format!("stderr {:?} (want {want:?})", stderr.text()));
    }
    Ok(())
}

#[test]
fn every_wasi_testsuite_program_passes() {
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/wasi-testsuite");
    if !suite.is_dir() {
        eprintln!(
            "SKIPPED: {} is absent, so there are no WASI test programs to run \
             (CI requires the folder)",
            suite.display()
        );
        return;
    }
    let engine = wasi::engine().unwrap();
    let cases = cases(&suite);
    assert_eq!(
        cases.len(),
        72,
        "the suite holds 72 preview 1 programs under {}/tests/*/testsuite/wasm32-wasip1",
        suite.display()
    );
    let scratch = std::env::temp_dir().join(format!("wasi-testsuite-{}", std::process::id()));
    let mut failures = Vec::new();
    for case in &cases {
        match run_limited(&engine, case, &scratch) {
            Ok(()) => eprintln!("PASS {}", case.name),
            Err(why) => {
                eprintln!("FAIL {}: {why}", case.name);
                failures.push(case.name.clone());
            }
        }
    }
    eprintln!(
        "{} of {} WASI programs passed",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(failures.is_empty(), "failed: {failures:?}");
    assert_eq!(
        cases.iter().filter(|c| c.root.is_some()).count(),
        49,
        "the suite's README counts 49 programs with a root folder"
    );
}
