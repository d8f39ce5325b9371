;; A small WASI command: prints a greeting, its arguments and its first
;; environment variable with one fd_write of several iovecs.
;;
;;   cargo run --example wasi_run -- --env GREETING=hi examples/guests/hello.wat world
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  ;; Constant text.
  (data (i32.const 0) "Hello from a WebAssembly guest!\n")  ;; 32 bytes
  (data (i32.const 32) "args:")                             ;; 5 bytes
  (data (i32.const 40) " ")
  (data (i32.const 41) "\n")
  (data (i32.const 48) "env: ")                             ;; 5 bytes
  (data (i32.const 56) "(none)")                            ;; 6 bytes

  ;; Layout: 1024 counts; 2048 argv pointers; 4096 argv bytes;
  ;;         6144 environ pointers; 8192 environ bytes; 12288 iovecs.
  (global $iov (mut i32) (i32.const 12288))
  (global $n (mut i32) (i32.const 0))

  ;; Appends an iovec {buf, len}.
  (func $push (param $buf i32) (param $len i32)
    (i32.store (global.get $iov) (local.get $buf))
    (i32.store offset=4 (global.get $iov) (local.get $len))
    (global.set $iov (i32.add (global.get $iov) (i32.const 8)))
    (global.set $n (i32.add (global.get $n) (i32.const 1))))

  (func $strlen (param $p i32) (result i32)
    (local $q i32)
    (local.set $q (local.get $p))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (local.get $q))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $next)))
    (i32.sub (local.get $q) (local.get $p)))

  ;; Exits with the errno if it is not zero.
  (func $check (param $errno i32)
    (if (local.get $errno) (then (call $proc_exit (local.get $errno)))))

  (func (export "_start")
    (local $i i32) (local $argc i32) (local $p i32)
    (call $push (i32.const 0) (i32.const 32))

    ;; The arguments.
    (call $check (call $args_sizes_get (i32.const 1024) (i32.const 1028)))
    (call $check (call $args_get (i32.const 2048) (i32.const 4096)))
    (local.set $argc (i32.load (i32.const 1024)))
    (call $push (i32.const 32) (i32.const 5))
    (local.set $i (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $argc)))
        (local.set $p (i32.load (i32.add (i32.const 2048) (i32.mul (local.get $i) (i32.const 4)))))
        (call $push (i32.const 40) (i32.const 1))
        (call $push (local.get $p) (call $strlen (local.get $p)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $push (i32.const 41) (i32.const 1))

    ;; The first environment variable.
    (call $check (call $environ_sizes_get (i32.const 1032) (i32.const 1036)))
    (call $check (call $environ_get (i32.const 6144) (i32.const 8192)))
    (call $push (i32.const 48) (i32.const 5))
    (if (i32.load (i32.const 1032))
      (then
        (local.set $p (i32.load (i32.const 6144)))
        (call $push (local.get $p) (call $strlen (local.get $p))))
      (else (call $push (i32.const 56) (i32.const 6))))
    (call $push (i32.const 41) (i32.const 1))

    ;; One vectored write of every piece.
    (call $check (call $fd_write (i32.const 1) (i32.const 12288) (global.get $n) (i32.const 1040)))))
