//! The `wasi_snapshot_preview1` records this host uses, declared with the
//! crate's macros (layouts as in the WASI spec's witx, wasm32 C ABI).

use guest_memory::{GuestLayout as _, GuestPtr, guest_enum, guest_flags, guest_struct};

guest_enum! {
    /// An error number, as the WASI functions return it.
    pub enum Errno: u16 {
        Success = 0,
        Badf = 8,
        Fault = 21,
        Ilseq = 25,
        Inval = 28,
        Io = 29,
        Nosys = 52,
        Notsock = 57,
        Overflow = 61,
        Spipe = 70,
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
    pub struct Prestat { pub tag: u8, pub pr_name_len: u32 }
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
};
