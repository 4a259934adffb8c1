//! Offsets inside a decoded JSON string → offsets in the source text.
//!
//! Terraform plans carry IAM policies as JSON text inside a JSON string
//! (`"policy": "{\"Statement\": …}"`). The ingesters parse the decoded string with
//! [`super::parse`], which gives offsets in the decoded text; a [`StringMap`] translates them
//! back through the escapes, so the statements of an embedded policy still point at their
//! place in the file. Used by `ingest::iam_json`.

use super::parser::unescape;

/// Maps byte offsets in a decoded JSON string back to byte offsets in the source text.
#[derive(Debug, Clone)]
pub(crate) struct StringMap {
    /// `(decoded offset, source offset)` at the start and after every escape sequence; between
    /// checkpoints decoded and source bytes correspond one to one.
    checkpoints: Vec<(usize, usize)>,
}

impl StringMap {
    /// The map for the string literal whose opening quote is at `open` in `text`.
    pub(crate) fn new(text: &str, open: usize) -> StringMap {
        let bytes = text.as_bytes();
        let mut checkpoints = vec![(0, open + 1)];
        let mut decoded = 0;
        let mut pos = open + 1;
        while let Some(&b) = bytes.get(pos) {
            match b {
                b'"' => break,
                b'\\' => {
                    let Ok((c, len)) = unescape(bytes, pos) else {
                        break;
                    };
                    decoded += c.len_utf8();
                    pos += len;
                    checkpoints.push((decoded, pos));
                }
                _ => {
                    decoded += 1;
                    pos += 1;
                }
            }
        }
        StringMap { checkpoints }
    }

    /// The source offset of a decoded offset.
    pub(crate) fn source_offset(&self, decoded: usize) -> usize {
        let i = match self.checkpoints.binary_search_by_key(&decoded, |c| c.0) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let (d, s) = self.checkpoints.get(i).copied().unwrap_or((0, 0));
        s + (decoded - d)
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    #[test]
    fn decoded_offsets_map_back_through_escapes() {
        let text = r#"{"policy": "{\"Statement\": [{\"Effect\": \"Allow\"}]}"}"#;
        let node = parse(text).unwrap();
        let policy = node.get("policy").unwrap();
        let decoded = policy.as_str().unwrap();
        let statement = decoded.find("[{").unwrap() + 1;
        let map = StringMap::new(text, policy.offset());
        let source = map.source_offset(statement);
        assert_eq!(&text[source..=source], "{");
        assert_eq!(&text[source + 1..source + 3], "\\\"");
        assert_eq!(map.source_offset(0), policy.offset() + 1);
    }

    #[test]
    fn every_value_of_an_embedded_document_maps_to_its_source() {
        // Multi-byte characters, \u escapes and surrogate pairs before the values.
        let text = r#"{"p": "{\"é\": \"\u00e9\ud83d\ude00\", \"n\\/\": [1, \"x\"]}"}"#;
        let outer = parse(text).unwrap();
        let string = outer.get("p").unwrap();
        let inner_text = string.as_str().unwrap();
        let inner = parse(inner_text).unwrap();
        let map = StringMap::new(text, string.offset());
        let list = inner.get("n/").unwrap();
        // The `[` of the list and the quote of "x", found in the file through the map.
        assert_eq!(&text[map.source_offset(list.offset())..][..2], "[1");
        let x = &list.items().unwrap()[1];
        assert_eq!(&text[map.source_offset(x.offset())..][..3], "\\\"x");
        let key = inner.members().unwrap()[0].key_offset();
        assert_eq!(&text[map.source_offset(key)..][..4], "\\\"é");
    }
}
