//! Text that comes from a file, made safe to print: a tensor name or a dtype of a hostile
//! safetensors file may hold a newline, a terminal escape sequence or a right-to-left
//! override, and printed raw it could forge a line such as `error: everything is fine` or
//! recolour the terminal. Every message that quotes a file's text quotes it through
//! [`escaped`].
//!
//! The escaping is Rust's `char::escape_debug` (control characters as `\n`, `\t`,
//! `\u{1b}`, the backslash as `\\`, and characters that are not printable or that combine
//! with the previous one as `\u{..}`), except for quotes, which are printed as they are
//! (the messages quote names in backticks). A printable name prints unchanged, and
//! different names print differently.

use std::fmt;

/// `text`, displayed with every character that could act on a terminal escaped.
pub fn escaped(text: &str) -> Escaped<'_> {
    Escaped(text)
}

/// Displays its text escaped: see the [module](self).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '"' | '\'' => fmt::Write::write_char(f, c)?,
                _ => write!(f, "{}", c.escape_debug())?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            ("0.0.weight", "0.0.weight"),
            ("layers.0.0.weight", "layers.0.0.weight"),
            ("it's \"quoted\"", "it's \"quoted\""),
            (
                "a\nerror: everything is fine",
                "a\\nerror: everything is fine",
            ),
            ("\u{1b}[2K\r", "\\u{1b}[2K\\r"),
            ("back\\slash", "back\\\\slash"),
            ("\u{202e}txt.exe", "\\u{202e}txt.exe"),
            ("tab\there", "tab\\there"),
            ("é", "é"),
        ];
        for (raw, shown) in cases {
            assert_eq!(escaped(raw).to_string(), shown, "{raw:?}");
        }
        // Nothing escaped prints a control character.
        let all: String = (0u32..0x800).filter_map(char::from_u32).collect();
        assert!(!escaped(&all).to_string().chars().any(char::is_control));
    }
}
