//! Every program in `../shared/wasi-testsuite/tests/*/testsuite/wasm32-wasip1/`
//! (the official preview 1 suite, built from AssemblyScript, C and Rust
//! elsewhere), run through the example WASI host in-process, checked against
//! its expected exit code and output. The suite's README gives the rules.
//!
//! The example host has no preopened directories yet, so the programs whose
//! spec names a `root` folder are reported as skipped, by name, and every
//! other program must pass.
//!
//! Not under Miri: wasmtime compiles wasm to machine code, which Miri cannot
//! run.
#![cfg(not(miri))]

#[path = "common/capture.rs"]
mod capture;
#[allow(dead_code)]
#[path = "../examples/wasi_run/wasi/mod.rs"]
mod wasi;

use std::path::{Path, PathBuf};

use capture::Capture;
use serde_json::Value;

/// A program and what its `NAME.json` expects (defaults where absent).
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

/// Runs one case; `Err` says what differed.
fn run(engine: &wasmtime::Engine, case: &Case) -> Result<(), String> {
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
fn every_wasi_testsuite_program_without_a_root_folder_passes() {
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
    let mut failures = Vec::new();
    let mut skipped = Vec::new();
    for case in &cases {
        if let Some(root) = &case.root {
            eprintln!("SKIP {}: needs `{root}` preopened as `/`", case.name);
            skipped.push(case.name.clone());
            continue;
        }
        match run(&engine, case) {
            Ok(()) => eprintln!("PASS {}", case.name),
            Err(why) => {
                eprintln!("FAIL {}: {why}", case.name);
                failures.push(case.name.clone());
            }
        }
    }
    let ran = cases.len() - skipped.len();
    eprintln!(
        "{} of {ran} WASI programs passed; {} skipped (they need a preopened \
         directory, which the example host does not offer yet)",
        ran - failures.len(),
        skipped.len()
    );
    assert!(failures.is_empty(), "failed: {failures:?}");
    assert_eq!(
        ran, 23,
        "the suite's README counts 23 programs without a root"
    );
}
