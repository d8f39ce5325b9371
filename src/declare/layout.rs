//! A declared record's layout under the wasm32 C ABI, computed at compile
//! time from its fields' `(size, align)`: each field's offset, the record's
//! alignment and size, and a field's index by name. A record larger than
//! the 32-bit address space fails to compile.

/// Each field's offset under the wasm32 C ABI, from `(size, align)`.
pub const fn field_offsets<const N: usize>(fields: [(u32, u32); N]) -> [u32; N] {
    let mut out = [0u32; N];
    let mut end = 0u32;
    let mut i = 0;
    while i < N {
        let (size, align) = fields[i];
        let at = align_up(end, align);
        out[i] = at;
        end = match at.checked_add(size) {
            Some(e) => e,
            None => panic!("guest struct larger than the 32-bit address space"),
        };
        i += 1;
    }
    out
}

/// The struct's alignment: its largest field alignment, at least 1.
pub const fn struct_align<const N: usize>(fields: [(u32, u32); N]) -> u32 {
    let mut align = 1;
    let mut i = 0;
    while i < N {
        if fields[i].1 > align {
            align = fields[i].1;
        }
        i += 1;
    }
    align
}

/// The struct's size: past its last field, rounded up to its alignment.
pub const fn struct_size<const N: usize>(fields: [(u32, u32); N]) -> u32 {
    let offsets = field_offsets(fields);
    let end = if N == 0 {
        0
    } else {
        offsets[N - 1] + fields[N - 1].0
    };
    align_up(end, struct_align(fields))
}

const fn align_up(x: u32, align: u32) -> u32 {
    if align <= 1 {
        return x;
    }
    match x.checked_add(align - 1) {
        Some(v) => v / align * align,
        None => panic!("guest struct larger than the 32-bit address space"),
    }
}

/// The position of `name` in `names`; a compile error in const context
/// if it is missing.
pub const fn index_of(names: &[&str], name: &str) -> usize {
    let mut i = 0;
    while i < names.len() {
        if str_eq(names[i], name) {
            return i;
        }
        i += 1;
    }
    panic!("no field of that name")
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
