//! Byte offsets → the 1-based line and column a person sees in an editor.
//!
//! The parsers record byte offsets only; a [`LineIndex`] turns them into positions for the
//! few values an error or a finding points at. Used by the policy parser (statement
//! positions, error positions), by every IaC ingester (finding origins) and by the YAML reader
//! (which also maps its line/column markers back to offsets with [`LineIndex::offset_of`]).
//!
//! Line breaks are LF, CRLF and a lone CR, as YAML, editors and SARIF count them. Columns
//! count Unicode scalar values (SARIF `columnKind: unicodeCodePoints`). `terraform show -json`
//! writes a whole plan on one line, so a column lookup must not rescan the line from its
//! start: non-ASCII texts keep a character count every [`BLOCK`] bytes.

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Position {
    pub(crate) line: u32,
    pub(crate) column: u32,
}

/// A line or column count as a [`Position`] field (texts are at most 4 GiB; saturates beyond).
pub(crate) fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Bytes per character-count checkpoint in non-ASCII texts.
const BLOCK: usize = 4096;

/// Byte offsets → 1-based line and column for one text.
pub(crate) struct LineIndex<'t> {
    text: &'t str,
    /// Byte offset where each line starts.
    line_starts: Vec<usize>,
    /// For non-ASCII text: characters before each `BLOCK`-byte boundary.
    block_chars: Option<Vec<usize>>,
}

impl<'t> LineIndex<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        let bytes = text.as_bytes();
        let line_starts = line_starts(bytes);
        let block_chars = (!text.is_ascii()).then(|| {
            let mut counts = Vec::with_capacity(bytes.len() / BLOCK + 1);
            let mut chars = 0usize;
            for block in bytes.chunks(BLOCK) {
                counts.push(chars);
                chars += block.iter().filter(|&&b| !is_continuation(b)).count();
            }
            counts.push(chars);
            counts
        });
        LineIndex {
            text,
            line_starts,
            block_chars,
        }
    }

    pub(crate) fn text(&self) -> &'t str {
        self.text
    }

    /// The position of a byte offset (clamped to the text).
    pub(crate) fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let column = match &self.block_chars {
            None => offset - start,
            Some(blocks) => self.char_index(blocks, offset) - self.char_index(blocks, start),
        };
        Position {
            line: saturate(line + 1),
            column: saturate(column + 1),
        }
    }

    /// The byte offset of a 1-based line and 0-based character column (YAML markers).
    pub(crate) fn offset_of(&self, line: usize, column: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
        rest.char_indices()
            .nth(column)
            .map_or(self.text.len(), |(i, _)| start + i)
    }

    fn char_index(&self, blocks: &[usize], offset: usize) -> usize {
        let block = offset / BLOCK;
        let base = blocks.get(block).copied().unwrap_or(0);
        let from = block * BLOCK;
        let bytes = self.text.as_bytes();
        base + bytes[from.min(bytes.len())..offset.min(bytes.len())]
            .iter()
            .filter(|&&b| !is_continuation(b))
            .count()
    }
}

/// Where each line starts. Every policy parse and every ingested file builds an index, and
/// plans are one long line: words of 8 bytes without a line break are skipped at once.
fn line_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    let mut check = |i: usize| match bytes[i] {
        b'\n' => starts.push(i + 1),
        b'\r' if bytes.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
        _ => {}
    };
    let words = bytes.chunks_exact(8);
    let tail = bytes.len() - words.remainder().len();
    for (w, word) in words.enumerate() {
        let word = u64::from_le_bytes([
            word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7],
        ]);
        if has_byte(word, b'\n') || has_byte(word, b'\r') {
            (w * 8..w * 8 + 8).for_each(&mut check);
        }
    }
    (tail..bytes.len()).for_each(&mut check);
    starts
}

/// Whether any byte of `word` is `byte` (the exact "has a zero byte" test on `word ^ byte…`).
fn has_byte(word: u64, byte: u8) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let x = word ^ (ONES * u64::from(byte));
    x.wrapping_sub(ONES) & !x & HIGHS != 0
}

fn is_continuation(byte: u8) -> bool {
    byte & 0xC0 == 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "ab\r\ncé\rx\ny";
        let index = LineIndex::new(text);
        assert_eq!(index.position(0), Position { line: 1, column: 1 });
        assert_eq!(index.position(4), Position { line: 2, column: 1 });
        // After the two-byte é.
        assert_eq!(index.position(7), Position { line: 2, column: 3 });
        assert_eq!(index.position(8), Position { line: 3, column: 1 });
        assert_eq!(index.position(10), Position { line: 4, column: 1 });
        assert_eq!(index.offset_of(2, 1), 5);
        assert_eq!(index.offset_of(2, 2), 7);
        // Offsets past the end are clamped to the end.
        assert_eq!(index.position(99), Position { line: 4, column: 2 });
    }

    #[test]
    fn line_breaks_are_found_in_every_byte_of_a_word() {
        // Each kind of break at each position of an 8-byte word, and across word boundaries.
        for at in 0..17 {
            for brk in ["\n", "\r", "\r\n"] {
                let text = format!("{}{brk}x", "a".repeat(at));
                let index = LineIndex::new(&text);
                let x = text.len() - 1;
                assert_eq!(
                    index.position(x),
                    Position { line: 2, column: 1 },
                    "{text:?}"
                );
                assert_eq!(
                    index.position(at),
                    Position {
                        line: 1,
                        column: saturate(at + 1)
                    }
                );
            }
        }
        let crlf = "a\r\nb\r\n\r\nc";
        assert_eq!(LineIndex::new(crlf).position(crlf.len() - 1).line, 4);
        assert!(!has_byte(u64::from_le_bytes(*b"abcdefgh"), b'\n'));
        assert!(has_byte(u64::from_le_bytes(*b"abcdefg\n"), b'\n'));
        assert!(has_byte(u64::from_le_bytes(*b"\rbcdefgh"), b'\r'));
    }

    #[test]
    fn columns_count_characters() {
        let index = LineIndex::new("ééé\nab");
        assert_eq!(index.position(6), Position { line: 1, column: 4 });
        assert_eq!(index.position(8), Position { line: 2, column: 2 });
    }

    #[test]
    fn long_non_ascii_lines_use_checkpoints() {
        let text = format!("{}é{}", "a".repeat(10_000), "b".repeat(10_000));
        let index = LineIndex::new(&text);
        // The character after é is character 10_002 of the line.
        assert_eq!(index.position(10_002).column, 10_002);
        assert_eq!(index.position(text.len()).column, 20_002);
    }
}
