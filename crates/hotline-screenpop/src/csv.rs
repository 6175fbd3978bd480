//! CSV for the report exports (RFC 4180: comma-separated, CRLF line ends,
//! fields with a comma, quote or line break quoted, quotes doubled). The
//! text starts with a UTF-8 byte-order mark so that spreadsheet programs
//! read Chinese names right. Numbers are written as Rust prints them
//! (ratios in full precision, the same values as the JSON export); a
//! missing value is an empty field.

/// One field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Text(String),
    Int(i64),
    OptInt(Option<i64>),
    Num(Option<f64>),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}

impl From<Option<i64>> for Cell {
    fn from(n: Option<i64>) -> Self {
        Cell::OptInt(n)
    }
}

impl From<Option<f64>> for Cell {
    fn from(n: Option<f64>) -> Self {
        Cell::Num(n)
    }
}

/// A CSV document being written.
#[derive(Debug)]
pub(crate) struct Table {
    out: String,
    columns: usize,
}

/// The byte-order mark the text starts with.
pub(crate) const BOM: char = '\u{feff}';

impl Table {
    pub(crate) fn new(header: &[&str]) -> Self {
        let mut table = Self {
            out: String::from(BOM),
            columns: header.len(),
        };
        table.row(header.iter().map(|h| Cell::from(*h)));
        table
    }

    /// Appends one record (missing fields are left empty, extra ones
    /// dropped, so every line has the header's width).
    pub(crate) fn row(&mut self, cells: impl IntoIterator<Item = Cell>) {
        let mut cells = cells.into_iter();
        for i in 0..self.columns {
            if i > 0 {
                self.out.push(',');
            }
            match cells.next() {
                Some(Cell::Text(s)) => self.text(&s),
                Some(Cell::Int(n)) | Some(Cell::OptInt(Some(n))) => {
                    self.out.push_str(&n.to_string())
                }
                Some(Cell::Num(Some(x))) if x.is_finite() => self.out.push_str(&x.to_string()),
                Some(Cell::OptInt(None)) | Some(Cell::Num(_)) | None => {}
            }
        }
        self.out.push_str("\r\n");
    }

    fn text(&mut self, s: &str) {
        // A leading = + - @ would make a spreadsheet evaluate the field
        // as a formula (names come from users): prefix a quote mark.
        let guarded = matches!(s.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r'));
        if guarded || s.contains([',', '"', '\n', '\r']) {
            self.out.push('"');
            if guarded {
                self.out.push('\'');
            }
            self.out.push_str(&s.replace('"', "\"\""));
            self.out.push('"');
        } else {
            self.out.push_str(s);
        }
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_when_they_need_it_and_formulas_are_defused() {
        let mut t = Table::new(&["key", "n", "rate", "max"]);
        t.row([
            Cell::from("住房, 保障"),
            Cell::Int(3),
            Cell::Num(Some(2.0 / 3.0)),
            Cell::OptInt(None),
        ]);
        t.row([Cell::from("say \"hi\""), Cell::Int(-1), Cell::Num(None)]);
        t.row([Cell::from("=HYPERLINK(1)")]);
        assert_eq!(
            t.finish(),
            "\u{feff}key,n,rate,max\r\n\"住房, 保障\",3,0.6666666666666666,\r\n\
             \"say \"\"hi\"\"\",-1,,\r\n\"'=HYPERLINK(1)\",,,\r\n"
        );
    }
}
