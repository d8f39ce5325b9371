//! The `wasi_snapshot_preview1` records this host uses, declared with the
//! crate's macros (layouts as in the WASI spec's witx, wasm32 C ABI).

use guest_memory::{GuestLayout as _, GuestPtr, guest_enum, guest_flags, guest_struct};

guest_enum! {
    /// An error number, as the WASI functions return it (all 77 of preview 1).
    pub enum Errno: u16 {
        Success = 0,
        TooBig = 1,
        Acces = 2,
        Addrinuse = 3,
        Addrnotavail = 4,
        Afnosupport = 5,
        Again = 6,
        Already = 7,
        Badf = 8,
        Badmsg = 9,
        Busy = 10,
        Canceled = 11,
        Child = 12,
        Connaborted = 13,
        Connrefused = 14,
        Connreset = 15,
        Deadlk = 16,
        Destaddrreq = 17,
        Dom = 18,
        Dquot = 19,
        Exist = 20,
        Fault = 21,
        Fbig = 22,
        Hostunreach = 23,
        Idrm = 24,
        Ilseq = 25,
        Inprogress = 26,
        Intr = 27,
        Inval = 28,
        Io = 29,
        Isconn = 30,
        Isdir = 31,
        Loop = 32,
        Mfile = 33,
        Mlink = 34,
        Msgsize = 35,
        Multihop = 36,
        Nametoolong = 37,
        Netdown = 38,
        Netreset = 39,
        Netunreach = 40,
        Nfile = 41,
        Nobufs = 42,
        Nodev = 43,
        Noent = 44,
        Noexec = 45,
        Nolck = 46,
        Nolink = 47,
        Nomem = 48,
        Nomsg = 49,
        Noprotoopt = 50,
        Nospc = 51,
        Nosys = 52,
        Notconn = 53,
        Notdir = 54,
        Notempty = 55,
        Notrecoverable = 56,
        Notsock = 57,
        Notsup = 58,
        Notty = 59,
        Nxio = 60,
        Overflow = 61,
        Ownerdead = 62,
        Perm = 63,
        Pipe = 64,
        Proto = 65,
        Protonosupport = 66,
        Prototype = 67,
        Range = 68,
        Rofs = 69,
        Spipe = 70,
        Srch = 71,
        Stale = 72,
        Timedout = 73,
        Txtbsy = 74,
        Xdev = 75,
        Notcapable = 76,
    }
}

guest_enum! {
    /// Which clock.
    pub enum Clockid: u32 { Realtime = 0, Monotonic = 1, ProcessCputimeId = 2, ThreadCputimeId = 3 }
}

guest_enum! {
    /// Where `fd_seek` counts from.
    pub enum Whence: u8 { Set = 0, Cur = 1, End = 2 }
}

guest_enum! {
    /// The type of a file descriptor's file.
    pub enum Filetype: u8 {
        Unknown = 0,
        BlockDevice = 1,
        CharacterDevice = 2,
        Directory = 3,
        RegularFile = 4,
        SocketDgram = 5,
        SocketStream = 6,
        SymbolicLink = 7,
    }
}

guest_enum! {
    /// What a subscription waits for, and what an event reports.
    pub enum Eventtype: u8 { Clock = 0, FdRead = 1, FdWrite = 2 }
}

guest_flags! {
    /// File descriptor flags.
    pub struct Fdflags: u16 {
        const APPEND = 1;
        const DSYNC = 1 << 1;
        const NONBLOCK = 1 << 2;
        const RSYNC = 1 << 3;
        const SYNC = 1 << 4;
    }
}

guest_flags! {
    /// What a file descriptor may be used for.
    pub struct Rights: u64 {
        const FD_DATASYNC = 1;
        const FD_READ = 1 << 1;
        const FD_SEEK = 1 << 2;
        const FD_FDSTAT_SET_FLAGS = 1 << 3;
        const FD_SYNC = 1 << 4;
        const FD_TELL = 1 << 5;
        const FD_WRITE = 1 << 6;
        const FD_ADVISE = 1 << 7;
        const FD_ALLOCATE = 1 << 8;
        const PATH_CREATE_DIRECTORY = 1 << 9;
        const PATH_CREATE_FILE = 1 << 10;
        const PATH_LINK_SOURCE = 1 << 11;
        const PATH_LINK_TARGET = 1 << 12;
        const PATH_OPEN = 1 << 13;
        const FD_READDIR = 1 << 14;
        const PATH_READLINK = 1 << 15;
        const PATH_RENAME_SOURCE = 1 << 16;
        const PATH_RENAME_TARGET = 1 << 17;
        const PATH_FILESTAT_GET = 1 << 18;
        const PATH_FILESTAT_SET_SIZE = 1 << 19;
        const PATH_FILESTAT_SET_TIMES = 1 << 20;
        const FD_FILESTAT_GET = 1 << 21;
        const FD_FILESTAT_SET_SIZE = 1 << 22;
        const FD_FILESTAT_SET_TIMES = 1 << 23;
        const PATH_SYMLINK = 1 << 24;
        const PATH_REMOVE_DIRECTORY = 1 << 25;
        const PATH_UNLINK_FILE = 1 << 26;
        const POLL_FD_READWRITE = 1 << 27;
        const SOCK_SHUTDOWN = 1 << 28;
        const SOCK_ACCEPT = 1 << 29;
    }
}

guest_flags! {
    /// Flags of a clock subscription.
    pub struct Subclockflags: u16 { const SUBSCRIPTION_CLOCK_ABSTIME = 1; }
}

guest_flags! {
    /// Flags of an fd read/write event.
    pub struct Eventrwflags: u16 { const FD_READWRITE_HANGUP = 1; }
}

guest_flags! {
    /// Which directions `sock_shutdown` closes.
    pub struct Sdflags: u8 { const RD = 1; const WR = 1 << 1; }
}

guest_struct! {
    /// A buffer to read into.
    #[derive(Debug, Clone, Copy)]
    pub struct Iovec<'a> { pub buf: GuestPtr<'a, u8>, pub buf_len: u32 }
}

guest_struct! {
    /// A buffer to write from.
    #[derive(Debug, Clone, Copy)]
    pub struct Ciovec<'a> { pub buf: GuestPtr<'a, u8>, pub buf_len: u32 }
}

guest_struct! {
    /// What `fd_fdstat_get` reports.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Fdstat {
        pub fs_filetype: Filetype,
        pub fs_flags: Fdflags,
        pub fs_rights_base: Rights,
        pub fs_rights_inheriting: Rights,
    }
}

guest_struct! {
    /// What `fd_prestat_get` reports: a tagged union whose only variant is a
    /// directory with the length of its name.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Prestat { pub tag: Preopentype, pub pr_name_len: u32 }
}

guest_struct! {
    /// The `clock` variant of a subscription.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct SubscriptionClock {
        pub id: Clockid,
        pub timeout: u64,
        pub precision: u64,
        pub flags: Subclockflags,
    }
}

guest_struct! {
    /// The `fd_read` / `fd_write` variant of a subscription.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct SubscriptionFdReadwrite { pub file_descriptor: u32 }
}

guest_struct! {
    /// One `poll_oneoff` subscription. The union after the tag is kept as raw
    /// words and decoded, through a field pointer, by the variant the tag
    /// names: decoding it as the wrong variant could refuse valid input.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Subscription { pub userdata: u64, pub tag: Eventtype, pub u: [u64; 4] }
}

guest_struct! {
    /// The fd part of an event.
    #[derive(Debug, Clone, Copy, Default, PartialEq)]
    pub struct EventFdReadwrite { pub nbytes: u64, pub flags: Eventrwflags }
}

guest_struct! {
    /// One `poll_oneoff` event.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Event {
        pub userdata: u64,
        pub error: Errno,
        pub type_: Eventtype,
        pub fd_readwrite: EventFdReadwrite,
    }
}

guest_enum! {
    /// A hint about how a file will be accessed.
    pub enum Advice: u8 {
        Normal = 0,
        Sequential = 1,
        Random = 2,
        Willneed = 3,
        Dontneed = 4,
        Noreuse = 5,
    }
}

guest_enum! {
    /// What kind of thing a preopened descriptor is.
    pub enum Preopentype: u8 { Dir = 0 }
}

guest_enum! {
    /// A signal (`proc_raise`); the values 0 to 30 are defined.
    pub enum Signal: u8 {
        None = 0, Hup = 1, Int = 2, Quit = 3, Ill = 4, Trap = 5, Abrt = 6, Bus = 7,
        Fpe = 8, Kill = 9, Usr1 = 10, Segv = 11, Usr2 = 12, Pipe = 13, Alrm = 14,
        Term = 15, Chld = 16, Cont = 17, Stop = 18, Tstp = 19, Ttin = 20, Ttou = 21,
        Urg = 22, Xcpu = 23, Xfsz = 24, Vtalrm = 25, Prof = 26, Winch = 27, Poll = 28,
        Pwr = 29, Sys = 30,
    }
}

guest_flags! {
    /// How `path_open` opens or creates.
    pub struct Oflags: u16 {
        const CREAT = 1;
        const DIRECTORY = 1 << 1;
        const EXCL = 1 << 2;
        const TRUNC = 1 << 3;
    }
}

guest_flags! {
    /// How a path is resolved.
    pub struct Lookupflags: u32 { const SYMLINK_FOLLOW = 1; }
}

guest_flags! {
    /// Which timestamps a `*_set_times` call changes, and how.
    pub struct Fstflags: u16 {
        const ATIM = 1;
        const ATIM_NOW = 1 << 1;
        const MTIM = 1 << 2;
        const MTIM_NOW = 1 << 3;
    }
}

guest_flags! {
    /// Flags of `sock_recv`.
    pub struct Riflags: u16 { const RECV_PEEK = 1; const RECV_WAITALL = 1 << 1; }
}

guest_struct! {
    /// What `fd_filestat_get` and `path_filestat_get` report.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Filestat {
        pub dev: u64,
        pub ino: u64,
        pub filetype: Filetype,
        pub nlink: u64,
        pub size: u64,
        pub atim: u64,
        pub mtim: u64,
        pub ctim: u64,
    }
}

guest_struct! {
    /// The header `fd_readdir` writes before each entry's name.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Dirent {
        pub d_next: u64,
        pub d_ino: u64,
        pub d_namlen: u32,
        pub d_type: Filetype,
    }
}

// The layouts the WASI spec gives, checked at compile time.
const _: () = {
    assert!(Iovec::GUEST_SIZE == 8 && Ciovec::guest_offset_of("buf_len") == 4);
    assert!(Fdstat::GUEST_SIZE == 24 && Fdstat::guest_offset_of("fs_rights_base") == 8);
    assert!(Prestat::GUEST_SIZE == 8 && Prestat::guest_offset_of("pr_name_len") == 4);
    assert!(
        SubscriptionClock::GUEST_SIZE == 32 && SubscriptionClock::guest_offset_of("flags") == 24
    );
    assert!(Subscription::GUEST_SIZE == 48 && Subscription::guest_offset_of("u") == 16);
    assert!(Event::GUEST_SIZE == 32 && Event::guest_offset_of("type_") == 10);
    assert!(Event::guest_offset_of("fd_readwrite") == 16);
    assert!(Filestat::GUEST_SIZE == 64 && Filestat::guest_offset_of("nlink") == 24);
    assert!(Filestat::guest_offset_of("ctim") == 56);
    assert!(Dirent::GUEST_SIZE == 24 && Dirent::guest_offset_of("d_type") == 20);
};
