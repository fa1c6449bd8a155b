//! A drawn frame as the bytes a terminal would have been sent: what `replay --cast` writes
//! into an asciicast recording, so the moment plays in any asciinema player.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

fn color(c: Color, fg: bool) -> Option<String> {
    let base = if fg { 30 } else { 40 };
    Some(match c {
        Color::Reset => return None,
        Color::Black => format!("{base}"),
        Color::Red => format!("{}", base + 1),
        Color::Green => format!("{}", base + 2),
        Color::Yellow => format!("{}", base + 3),
        Color::Blue => format!("{}", base + 4),
        Color::Magenta => format!("{}", base + 5),
        Color::Cyan => format!("{}", base + 6),
        Color::Gray => format!("{}", base + 7),
        Color::DarkGray => format!("{}", base + 60),
        Color::LightRed => format!("{}", base + 61),
        Color::LightGreen => format!("{}", base + 62),
        Color::LightYellow => format!("{}", base + 63),
        Color::LightBlue => format!("{}", base + 64),
        Color::LightMagenta => format!("{}", base + 65),
        Color::LightCyan => format!("{}", base + 66),
        Color::White => format!("{}", base + 67),
        Color::Rgb(r, g, b) => format!("{};2;{r};{g};{b}", base + 8),
        Color::Indexed(i) => format!("{};5;{i}", base + 8),
    })
}

fn sgr(fg: Color, bg: Color, m: Modifier) -> String {
    let mut codes = vec!["0".to_owned()];
    for (flag, code) in [
        (Modifier::BOLD, "1"),
        (Modifier::DIM, "2"),
        (Modifier::ITALIC, "3"),
        (Modifier::UNDERLINED, "4"),
        (Modifier::REVERSED, "7"),
        (Modifier::CROSSED_OUT, "9"),
    ] {
        if m.contains(flag) {
            codes.push(code.to_owned());
        }
    }
    codes.extend(color(fg, true));
    codes.extend(color(bg, false));
    format!("\x1b[{}m", codes.join(";"))
}

/// The whole frame from the top-left corner: each row positioned, a style change only where
/// the style changes.
pub fn frame(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::from("\x1b[?25l");
    for y in area.top()..area.bottom() {
        out.push_str(&format!("\x1b[{};1H", y - area.top() + 1));
        let mut last: Option<(Color, Color, Modifier)> = None;
        let mut skip = 0usize;
        for x in area.left()..area.right() {
            let cell = &buf[(x, y)];
            // A wide character's second column is drawn by the first.
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let style = (cell.fg, cell.bg, cell.modifier);
            if last != Some(style) {
                out.push_str(&sgr(cell.fg, cell.bg, cell.modifier));
                last = Some(style);
            }
            let symbol = cell.symbol();
            out.push_str(if symbol.is_empty() { " " } else { symbol });
            skip = unicode_width(symbol).saturating_sub(1);
        }
        out.push_str("\x1b[0m");
    }
    out
}

/// Ratatui leaves the columns a wide symbol covers as empty cells after it: skipping them
/// keeps the row's length right.
fn unicode_width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s).max(1)
}
