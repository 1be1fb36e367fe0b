//! Test-only crate: the cross-crate and property tests live in `tests/`. The type-level
//! checks (shapes that must not compile) are the `skipgrad-type-checks` crate's doc tests.
