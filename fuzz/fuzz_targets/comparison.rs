//! Fuzzes the comparison reader: any bytes end as a value or an error, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = exodus::fuzzing::comparison(data);
});
