//! Turning the bytes of an input file into text (byte offsets in that text become lines and
//! columns with the shared [`crate::json::LineIndex`]).
//!
//! Used by every ingester: files arrive as UTF-8 with or without a byte-order mark, or as
//! UTF-16 (little or big endian) with one, with LF, CRLF or CR line endings. Anything else
//! (NUL bytes, invalid UTF-8, UTF-16 without a BOM) is rejected as "not text" with the line
//! and column of the first bad byte.

use std::borrow::Cow;

use crate::json::{Position, saturate};

/// Why the bytes of a file are not text this tool reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeError {
    /// Where the problem is, when it is at a particular byte.
    pub(crate) position: Option<Position>,
    pub(crate) message: String,
}

/// Decode a file's bytes: UTF-8 (a BOM is dropped) or UTF-16 with a BOM.
pub(crate) fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, DecodeError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8(rest, 3, bytes);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, u16::from_le_bytes).map(Cow::Owned);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, u16::from_be_bytes).map(Cow::Owned);
    }
    if let Some(at) = memchr_nul(bytes) {
        // UTF-16 without a byte-order mark puts a NUL next to every ASCII character.
        let hint = if looks_like_bomless_utf16(bytes) {
            " (UTF-16 without a byte-order mark? Save it as UTF-8, or as UTF-16 with a BOM)"
        } else {
            ""
        };
        return Err(DecodeError {
            position: Some(byte_position(bytes, at)),
            message: format!("binary file: NUL byte at offset {at}, not JSON or YAML text{hint}"),
        });
    }
    utf8(bytes, 0, bytes)
}

fn utf8<'b>(text: &'b [u8], skipped: usize, all: &[u8]) -> Result<Cow<'b, str>, DecodeError> {
    match std::str::from_utf8(text) {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(e) => {
            let at = skipped + e.valid_up_to();
            Err(DecodeError {
                position: Some(byte_position(all, at)),
                message: format!(
                    "not UTF-8 text: invalid byte 0x{:02X} at offset {at} (binary file, or another encoding)",
                    all.get(at).copied().unwrap_or(0)
                ),
            })
        }
    }
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, DecodeError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(DecodeError {
            position: None,
            message: "UTF-16 text with an odd number of bytes (the file is truncated)".to_owned(),
        });
    }
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    let mut out = String::with_capacity(bytes.len() / 2);
    let mut line = 1u32;
    let mut column = 1u32;
    for decoded in char::decode_utf16(units) {
        match decoded {
            Ok('\0') => {
                return Err(DecodeError {
                    position: Some(Position { line, column }),
                    message: "binary file: NUL character in UTF-16 text".to_owned(),
                });
            }
            Ok(c) => {
                if c == '\n' {
                    line += 1;
                    column = 1;
                } else {
                    column += 1;
                }
                out.push(c);
            }
            Err(e) => {
                return Err(DecodeError {
                    position: Some(Position { line, column }),
                    message: format!(
                        "invalid UTF-16: unpaired surrogate 0x{:04X}",
                        e.unpaired_surrogate()
                    ),
                });
            }
        }
    }
    Ok(out)
}

fn memchr_nul(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == 0)
}

fn looks_like_bomless_utf16(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(64)];
    let nuls = sample.iter().fold(0, |n, &b| n + usize::from(b == 0));
    nuls * 3 >= sample.len() && sample.len() >= 4
}

/// Line and column of a byte offset in raw bytes (for errors found before decoding).
fn byte_position(bytes: &[u8], at: usize) -> Position {
    let before = &bytes[..at.min(bytes.len())];
    let line = before.iter().fold(1, |n, &b| n + usize::from(b == b'\n'));
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    Position {
        line: saturate(line),
        column: saturate(column),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(decode(b"{}").unwrap(), "{}");
        assert_eq!(decode(b"\xEF\xBB\xBF{\"a\": 1}").unwrap(), "{\"a\": 1}");
    }

    #[test]
    fn utf16_both_endians() {
        let text = "{\"é\":\r\n1}";
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode(&le).unwrap(), text);
        assert_eq!(decode(&be).unwrap(), text);
        let err = decode(&le[..le.len() - 1]).unwrap_err();
        assert!(err.message.contains("truncated"), "{err:?}");
    }

    #[test]
    fn binary_and_invalid_utf8_are_rejected_with_position() {
        let err = decode(b"{\n  \"a\": \x00}").unwrap_err();
        assert!(err.message.starts_with("binary file"), "{err:?}");
        assert_eq!(err.position, Some(Position { line: 2, column: 8 }));
        let err = decode(b"{\"a\": \"\xFF\"}").unwrap_err();
        assert!(err.message.contains("not UTF-8"), "{err:?}");
        let bomless: Vec<u8> = "{\"a\": 1}"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(decode(&bomless).unwrap_err().message.contains("UTF-16"));
    }
}
