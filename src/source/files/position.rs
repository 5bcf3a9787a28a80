//! Positions in a text: the line and column of a byte offset, found by a
//! scan or, when many are asked for, through an index of the lines.

/// 1-based line and column of byte `offset` of `text`, past any whitespace
/// there so that the position points at the value.
pub(super) fn line_column_of(text: &str, offset: usize) -> (u64, u64) {
    let rest = &text[offset..];
    let start = offset + (rest.len() - rest.trim_start().len());
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let column = start - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line as u64, column as u64)
}

/// Where the lines of a text start, for positions in O(log n) when many
/// are asked for (every object's, for SARIF).
pub(super) struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub(super) fn of(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts }
    }

    /// As [`line_column_of`].
    pub(super) fn line_column(&self, text: &str, offset: usize) -> (u64, u64) {
        let rest = &text[offset..];
        let start = offset + (rest.len() - rest.trim_start().len());
        let line = self.starts.partition_point(|&s| s <= start);
        let column = start - self.starts[line - 1] + 1;
        (line as u64, column as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_index_places_offsets_as_the_scan_does() {
        let text = "a\n  b\n\n   c\nd";
        let lines = Lines::of(text);
        for offset in 0..text.len() {
            assert_eq!(
                lines.line_column(text, offset),
                line_column_of(text, offset),
                "{offset}"
            );
        }
    }
}
