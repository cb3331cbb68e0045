//! Text that came from users (names, labels, file names, target ids, messages) made safe for
//! where it is written: a terminal (control characters would be acted on as escape sequences),
//! a CSV file (a cell starting with `=`, `+`, `-` or `@` is run as a formula by spreadsheets)
//! and Markdown (a link `[x](javascript:...)` would be carried into report.md); and the labels
//! of messages on the terminal, in colour where colour is wanted (`NO_COLOR` honoured).

use std::borrow::Cow;
use std::fmt::Display;

use anstyle::{AnsiColor, Color, Style};

/// How the label of an error message looks where colour is wanted.
pub const ERROR: Style = Style::new()
    .bold()
    .fg_color(Some(Color::Ansi(AnsiColor::Red)));
/// How the label of a warning looks where colour is wanted.
pub const WARNING: Style = Style::new()
    .bold()
    .fg_color(Some(Color::Ansi(AnsiColor::Yellow)));

/// Prints `error: <message>` on standard error, the label in bold red on a terminal that takes
/// colour. anstream decides, by the usual conventions: never with `NO_COLOR` set, always with
/// `CLICOLOR_FORCE`, otherwise only on a terminal (never into a file or a pipe).
pub fn print_error(message: impl Display) {
    anstream::eprintln!("{ERROR}error:{ERROR:#} {message}");
}

/// Prints `warning: <message>` on standard error, the label in bold yellow where colour is
/// wanted (as `print_error`).
pub fn print_warning(message: impl Display) {
    anstream::eprintln!("{WARNING}warning:{WARNING:#} {message}");
}

/// Whether `c` would change what a terminal shows rather than be shown: control characters,
/// and the invisible or direction-changing marks that can disguise text.
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'
        )
}

/// `s` with control characters and invisible marks shown as `\u{..}`.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hidden) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if is_hidden(c) {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// `s` for a terminal: `printable`, but line breaks kept (messages of several lines).
pub fn terminal(s: &str) -> String {
    s.split('\n')
        .map(|line| printable(line).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A text cell for a CSV file: printable, and prefixed with `'` when a spreadsheet would read
/// it as a formula (the OWASP advice for CSV injection). Numbers are not text cells.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    let shown = printable(s);
    if shown.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{shown}"))
    } else {
        shown
    }
}

/// Text for a Markdown table cell or line: printable, on one line, with the characters that
/// make links, images, HTML and table cells escaped, so that it shows as written and can carry
/// no link.
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            c if is_hidden(c) => out.push_str(&c.escape_unicode().to_string()),
            '\\' | '|' | '[' | ']' | '`' | '*' | '_' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_sent() {
        assert_eq!(printable("Red\u{1b}[31mNote"), "Red\\u{1b}[31mNote");
        assert_eq!(printable("a\u{202e}b"), "a\\u{202e}b");
        assert!(matches!(printable("TikTok"), Cow::Borrowed(_)));
        assert_eq!(terminal("a\u{1b}\nb"), "a\\u{1b}\nb");
    }

    #[test]
    fn formula_cells_are_defused() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        for s in ["+1", "-2", "@SUM(A1)"] {
            assert!(csv_cell(s).starts_with('\''), "{s}");
        }
        // A tab or carriage return is shown escaped, so it cannot start a formula either.
        assert_eq!(csv_cell("\t=1"), "\\u{9}=1");
        assert_eq!(csv_cell("RedNote"), "RedNote");
    }

    #[test]
    fn markdown_text_carries_no_link() {
        let m = markdown("[click](javascript:alert(1)) <script>");
        assert!(!m.contains("](") || m.contains("\\]("), "{m}");
        assert!(m.starts_with("\\[click\\]"), "{m}");
        assert!(!m.contains('<'), "{m}");
        assert_eq!(markdown("a|b\nc"), "a\\|b c");
    }
}
