//! Hostile guests against the example WASI host's filesystem: every way out
//! of a preopened folder (`..`, absolute paths, symlinks found on disk or
//! made by the guest, renames and hard links out), and bad path and buffer
//! pointers. Each call must answer with an errno — the guest keeps running
//! and exits with it — nothing outside the preopen may be touched, and
//! memory may change only where the guest asked for a result.
//!
//! Layout of each test's scratch folder: `box/` is preopened as `/box`
//! (fd 3) and holds `file` ("inside") and `link_out -> ../secret`;
//! `secret` ("outside") sits beside it.
//!
//! Not under Miri: wasmtime compiles wasm to machine code.
#![cfg(not(any(miri, guest_memory_no_engines)))]

#[allow(dead_code)]
#[path = "../examples/wasi_run/wasi/mod.rs"]
mod wasi;

use std::path::{Path, PathBuf};

const EFAULT: i32 = 21;
const EILSEQ: i32 = 25;
const ELOOP: i32 = 32;
const ENAMETOOLONG: i32 = 37;
const ENOTDIR: i32 = 54;
const EPERM: i32 = 63;

/// Where path strings go in guest memory: string `i` at `STRINGS + 0x100 * i`.
const STRINGS: u32 = 0x1000;
/// A scratch area for results.
const OUT: u32 = 0x800;
/// The end of the guest's one page of memory.
const END: u32 = 0x10000;

/// A scratch folder laid out as the module docs say, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let root = std::env::temp_dir().join(format!("wasi-sandbox-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("box")).unwrap();
        std::fs::write(root.join("box/file"), "inside").unwrap();
        std::fs::write(root.join("secret"), "outside").unwrap();
        std::os::unix::fs::symlink("../secret", root.join("box/link_out")).unwrap();
        Scratch(root)
    }

    fn path(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }

    /// Every entry under the scratch folder outside `box`, with contents.
    fn outside(&self) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(&self.0).unwrap() {
            let e = e.unwrap();
            if e.file_name() != "box" {
                let body = std::fs::read(e.path()).unwrap_or_default();
                out.push((e.file_name().to_string_lossy().into_owned(), body));
            }
        }
        out.sort();
        out
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a run left: the errno it exited with, memory before and after.
struct Run {
    errno: i32,
    before: Vec<u8>,
    after: Vec<u8>,
}

impl Run {
    /// Asserts that memory changed only in `at..at + len`.
    fn changed_only(&self, at: u32, len: u32) {
        for (i, (b, a)) in self.before.iter().zip(&self.after).enumerate() {
            let i = i as u32;
            assert!(b == a || (at..at + len).contains(&i), "byte {i:#x} changed");
        }
    }
}

/// A call: the function and its arguments, `i64` ones marked by name.
fn call(f: &str, args: &[i64]) -> String {
    let wide = |i: usize| match f {
        "path_open" => i == 5 || i == 6,
        "fd_readdir" => i == 3,
        _ => false,
    };
    let args: Vec<String> = args
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let ty = if wide(i) { "i64" } else { "i32" };
            format!("({ty}.const {a})")
        })
        .collect();
    format!("(call ${f} {})", args.join(" "))
}

/// Address and length of path string `i`.
fn s(i: u32, text: &str) -> [i64; 2] {
    [i64::from(STRINGS + 0x100 * i), text.len() as i64]
}

/// Runs the calls in order with `strings` placed at [`STRINGS`], the box
/// preopened as fd 3. A call but the last that fails ends the guest with
/// 1000 + its errno; otherwise it exits with the last call's errno.
fn run(scratch: &Scratch, strings: &[&[u8]], calls: &[String]) -> Run {
    let mut segments = String::new();
    for (i, bytes) in strings.iter().enumerate() {
        let escaped: String = bytes.iter().map(|b| format!("\\{b:02x}")).collect();
        let at = STRINGS + 0x100 * i as u32;
        segments += &format!("(data (i32.const {at}) \"{escaped}\")\n");
    }
    let (last, first) = calls.split_last().unwrap();
    let mut body = String::new();
    for c in first {
        body += &format!(
            "(local.set $e {c}) (if (local.get $e) (then (call $proc_exit (i32.add (i32.const 1000) (local.get $e)))))\n"
        );
    }
    body += last;
    let imports: String = [
        ("path_open", "i32 i32 i32 i32 i32 i64 i64 i32 i32"),
        ("path_symlink", "i32 i32 i32 i32 i32"),
        ("path_rename", "i32 i32 i32 i32 i32 i32"),
        ("path_link", "i32 i32 i32 i32 i32 i32 i32"),
        ("path_create_directory", "i32 i32 i32"),
        ("path_remove_directory", "i32 i32 i32"),
        ("path_unlink_file", "i32 i32 i32"),
        ("path_filestat_get", "i32 i32 i32 i32 i32"),
        ("path_readlink", "i32 i32 i32 i32 i32 i32"),
        ("fd_readdir", "i32 i32 i32 i64 i32"),
        ("fd_prestat_dir_name", "i32 i32 i32"),
    ]
    .iter()
    .map(|(f, params)| {
        format!(
            "(import \"wasi_snapshot_preview1\" \"{f}\" (func ${f} (param {params}) (result i32)))\n"
        )
    })
    .collect();
    let wat = format!(
        r#"(module
  {imports}
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{fill}")
  {segments}
  (func (export "_start") (local $e i32) {body} (call $proc_exit)))"#,
        fill = "\\ab".repeat(0x800),
    );
    let engine = wasi::engine().unwrap();
    let module = wasmtime::Module::new(&engine, wat).unwrap();
    let config = wasi::Config {
        args: vec!["guest".into()],
        env: Vec::new(),
        stdin: Box::new(std::io::empty()),
        stdout: Box::new(std::io::sink()),
        stderr: Box::new(std::io::sink()),
        preopens: vec![(scratch.path("box"), "/box".into())],
    };
    let outcome = wasi::run(&engine, &module, config).expect("the guest must not trap");
    Run {
        errno: outcome.exit_code,
        before: outcome.memory_before,
        after: outcome.memory_after,
    }
}

/// `path_open(3, dirflags, path, oflags, rights, rights, 0, OUT)`.
fn open(dirflags: i64, path: [i64; 2], oflags: i64) -> String {
    let read_write = (1 << 1) | (1 << 6);
    call(
        "path_open",
        &[
            3,
            dirflags,
            path[0],
            path[1],
            oflags,
            read_write,
            read_write,
            0,
            i64::from(OUT),
        ],
    )
}

const CREAT: i64 = 1;
const FOLLOW: i64 = 1;

/// Runs one call on `path` and asserts it is refused with `EPERM` and that
/// nothing outside the box changed.
fn refused(name: &str, path: &str, make: impl Fn([i64; 2]) -> String) {
    let scratch = Scratch::new(name);
    let outside = scratch.outside();
    let r = run(&scratch, &[path.as_bytes()], &[make(s(0, path))]);
    assert_eq!(r.errno, EPERM, "{name}: {path}");
    assert_eq!(
        scratch.outside(),
        outside,
        "{name}: {path} touched the outside"
    );
    r.changed_only(0, 0);
}

#[test]
fn dot_dot_past_the_root_is_refused_for_every_path_function() {
    for path in ["../secret", "../new", "./../secret", "../box/../secret"] {
        refused("open", path, |p| open(0, p, 0));
        refused("create", path, |p| open(0, p, CREAT));
        refused("stat", path, |p| {
            call("path_filestat_get", &[3, 0, p[0], p[1], i64::from(OUT)])
        });
        refused("mkdir", path, |p| {
            call("path_create_directory", &[3, p[0], p[1]])
        });
        refused("unlink", path, |p| {
            call("path_unlink_file", &[3, p[0], p[1]])
        });
        refused("rmdir", path, |p| {
            call("path_remove_directory", &[3, p[0], p[1]])
        });
    }
}

#[test]
fn absolute_paths_are_refused() {
    for path in ["/etc/passwd", "/", "/box/file"] {
        refused("abs_open", path, |p| open(0, p, 0));
        refused("abs_create", path, |p| open(0, p, CREAT));
        refused("abs_stat", path, |p| {
            call("path_filestat_get", &[3, 0, p[0], p[1], i64::from(OUT)])
        });
    }
}

#[test]
fn a_symlink_on_disk_leading_out_is_not_followed() {
    refused("link_open", "link_out", |p| open(FOLLOW, p, 0));
    refused("link_create", "link_out", |p| open(FOLLOW, p, CREAT));
    refused("link_stat", "link_out", |p| {
        call(
            "path_filestat_get",
            &[3, FOLLOW, p[0], p[1], i64::from(OUT)],
        )
    });
    // Not following it opens the link itself, which O_NOFOLLOW refuses.
    let scratch = Scratch::new("link_nofollow");
    let r = run(&scratch, &[b"link_out"], &[open(0, s(0, "link_out"), 0)]);
    assert_eq!(r.errno, ELOOP);
}

#[test]
fn symlinks_made_by_the_guest_cannot_lead_out() {
    // An absolute target is refused outright.
    let scratch = Scratch::new("abs_symlink");
    let r = run(
        &scratch,
        &[b"/etc", b"abs"],
        &[call("path_symlink", &[s(0, "")[0], 4, 3, s(1, "")[0], 3])],
    );
    assert_eq!(r.errno, EPERM);
    assert!(std::fs::symlink_metadata(scratch.path("box/abs")).is_err());

    // A climbing one may be made, but nothing goes through it.
    let scratch = Scratch::new("up_symlink");
    let outside = scratch.outside();
    let r = run(
        &scratch,
        &[b"..", b"up", b"up/secret", b"up/made"],
        &[
            call("path_symlink", &[s(0, "..")[0], 2, 3, s(1, "up")[0], 2]),
            open(FOLLOW, s(2, "up/secret"), 0),
        ],
    );
    assert_eq!(r.errno, EPERM);
    let r = run(
        &scratch,
        &[b"up/made"],
        &[open(FOLLOW, s(0, "up/made"), CREAT)],
    );
    assert_eq!(r.errno, EPERM);
    assert_eq!(scratch.outside(), outside);
}

#[test]
fn renames_and_hard_links_cannot_leave() {
    let scratch = Scratch::new("rename_out");
    let outside = scratch.outside();
    let r = run(
        &scratch,
        &[b"file", b"../moved"],
        &[call(
            "path_rename",
            &[3, s(0, "file")[0], 4, 3, s(1, "../moved")[0], 8],
        )],
    );
    assert_eq!(r.errno, EPERM);
    let r = run(
        &scratch,
        &[b"../secret", b"stolen"],
        &[call("path_rename", &[3, s(0, "")[0], 9, 3, s(1, "")[0], 6])],
    );
    assert_eq!(r.errno, EPERM);
    let r = run(
        &scratch,
        &[b"file", b"../hard"],
        &[call(
            "path_link",
            &[3, 0, s(0, "")[0], 4, 3, s(1, "")[0], 7],
        )],
    );
    assert_eq!(r.errno, EPERM);
    let r = run(
        &scratch,
        &[b"../secret", b"hard"],
        &[call(
            "path_link",
            &[3, 0, s(0, "")[0], 9, 3, s(1, "")[0], 4],
        )],
    );
    assert_eq!(r.errno, EPERM);
    assert_eq!(scratch.outside(), outside);
    assert_eq!(std::fs::read(scratch.path("box/file")).unwrap(), b"inside");
    assert!(!scratch.path("box/stolen").exists() && !scratch.path("box/hard").exists());
}

#[test]
fn bad_path_pointers_and_non_utf8_paths() {
    let scratch = Scratch::new("bad_paths");
    let cases: [(i64, i64, i32); 4] = [
        (i64::from(END) - 4, 8, EFAULT),
        (i64::from(STRINGS), 0xffff_ffff, EFAULT),
        (0xffff_fff0, 0x20, EFAULT),
        (i64::from(STRINGS), 2, EILSEQ),
    ];
    for (ptr, len, errno) in cases {
        for c in [
            open(0, [ptr, len], CREAT),
            call("path_create_directory", &[3, ptr, len]),
            call("path_filestat_get", &[3, 0, ptr, len, i64::from(OUT)]),
            call("path_symlink", &[ptr, len, 3, ptr, len]),
        ] {
            let r = run(&scratch, &[b"\xff\xfe"], std::slice::from_ref(&c));
            assert_eq!(r.errno, errno, "{c}");
            r.changed_only(0, 0);
        }
    }
    assert_eq!(std::fs::read_dir(scratch.path("box")).unwrap().count(), 2);
}

#[test]
fn results_past_the_end_of_memory_are_efault_and_write_nothing() {
    let scratch = Scratch::new("results_past_end");
    // A filestat (64 bytes) that would cross the end.
    let stat = call(
        "path_filestat_get",
        &[3, 0, s(0, "")[0], 4, i64::from(END) - 32],
    );
    let r = run(&scratch, &[b"file"], &[stat]);
    assert_eq!(r.errno, EFAULT);
    r.changed_only(0, 0);
    // A readdir buffer running off the end.
    let readdir = call(
        "fd_readdir",
        &[3, i64::from(END) - 8, 100, 0, i64::from(OUT)],
    );
    let r = run(&scratch, &[], &[readdir]);
    assert_eq!(r.errno, EFAULT);
    r.changed_only(0, 0);
    // One that ends exactly at the end is filled, the last entry cut off.
    let readdir = call("fd_readdir", &[3, i64::from(END) - 8, 8, 0, i64::from(OUT)]);
    let r = run(&scratch, &[], &[readdir]);
    assert_eq!(r.errno, 0);
    assert_eq!(&r.after[OUT as usize..][..4], &8u32.to_le_bytes());
    // `d_next` of `.` is 1.
    assert_eq!(&r.after[(END - 8) as usize..], &1u64.to_le_bytes());
    for (i, (b, a)) in r.before.iter().zip(&r.after).enumerate() {
        let i = i as u32;
        assert!(b == a || i >= END - 8 || (OUT..OUT + 4).contains(&i));
    }
    // A readlink target longer than the buffer is cut to it.
    let readlink = call(
        "path_readlink",
        &[3, s(0, "")[0], 8, i64::from(END) - 4, 4, i64::from(OUT)],
    );
    let r = run(&scratch, &[b"link_out"], &[readlink]);
    assert_eq!(r.errno, 0);
    assert_eq!(&r.after[(END - 4) as usize..], b"../s");
    // A preopen name longer than the buffer.
    let name = call("fd_prestat_dir_name", &[3, i64::from(OUT), 3]);
    let r = run(&scratch, &[], &[name]);
    assert_eq!(r.errno, ENAMETOOLONG);
    r.changed_only(0, 0);
}

#[test]
fn paths_through_a_file_or_a_non_directory_fd_are_enotdir() {
    let scratch = Scratch::new("notdir");
    let r = run(&scratch, &[b"file/x"], &[open(0, s(0, "file/x"), CREAT)]);
    assert_eq!(r.errno, ENOTDIR);
    assert!(!Path::new(&scratch.path("box/x")).exists());
}
