//! A command-line WASI preview 1 host on wasmtime, built on `guest-memory`:
//! every guest pointer the WASI functions touch goes through the crate.
//!
//! ```text
//! cargo run --release --example wasi_run -- [--env KEY=VALUE]... [--dir HOST[::GUEST]]... PROGRAM.wasm|PROGRAM.wat [ARGS]...
//! ```
//!
//! The guest's `argv[0]` is the program's file name, then `ARGS`; its
//! environment is exactly the `--env` pairs; stdio is the process's. Each
//! `--dir` preopens the host folder `HOST` under the guest name `GUEST`
//! (`HOST` as given when there is no `::GUEST`), as the wasmtime CLI does;
//! the guest can reach nothing outside its preopens. The
//! process exits with the guest's exit code; a trap is printed and exits
//! with 134, as the wasmtime CLI does.

// Shared with the tests, which use parts this binary does not.
#[allow(dead_code)]
#[path = "wasi_run/wasi/mod.rs"]
mod wasi;

use std::path::Path;
use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!(
        "usage: wasi_run [--env KEY=VALUE]... [--dir HOST[::GUEST]]... PROGRAM.wasm [ARGS]..."
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut env = Vec::new();
    let mut preopens = Vec::new();
    let program = loop {
        match args.next() {
            Some(flag) if flag == "--env" => {
                match args.next().as_deref().and_then(|kv| kv.split_once('=')) {
                    Some((k, v)) => env.push((k.to_string(), v.to_string())),
                    None => return usage(),
                }
            }
            Some(flag) if flag == "--dir" => match args.next() {
                Some(dir) => {
                    let (host, guest) = dir.split_once("::").unwrap_or((&dir, &dir));
                    preopens.push((host.into(), guest.to_string()));
                }
                None => return usage(),
            },
            Some(program) => break program,
            None => return usage(),
        }
    };
    let name = Path::new(&program)
        .file_name()
        .map_or(program.clone(), |n| n.to_string_lossy().into_owned());
    let argv = std::iter::once(name).chain(args).collect();
    let config = wasi::Config {
        args: argv,
        env,
        stdin: Box::new(std::io::stdin()),
        stdout: Box::new(std::io::stdout()),
        stderr: Box::new(std::io::stderr()),
        preopens,
    };
    let outcome = wasi::engine().and_then(|engine| {
        let module = wasmtime::Module::from_file(&engine, &program)?;
        wasi::run_program(&engine, &module, config)
    });
    match outcome {
        // The low byte, as a process exit status carries.
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("error: {e:?}");
            ExitCode::from(134)
        }
    }
}
