//! Rule selection with `--select` / `--ignore` (and the config's `select` / `ignore`):
//! `ALL`, a prefix (`IAM`, `LOG0`) or an id. As in ruff, the most specific selector wins:
//! `--select NET --ignore NET006` runs NET001–NET005, and `--ignore NET --select NET001`
//! runs NET001.

use super::Registry;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    select: Vec<String>,
    ignore: Vec<String>,
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            select: vec!["ALL".to_owned()],
            ignore: Vec::new(),
        }
    }
}

impl Selection {
    /// Validate selectors against the registry: each must be `ALL` or a prefix of some id.
    /// NB001 cannot be ignored (naming it is an error; prefixes such as `NB` or `ALL` leave it
    /// on); `--allow-incomplete` is the explicit way to accept gaps.
    pub fn new(
        select: Option<&[String]>,
        ignore: &[String],
        registry: &Registry,
    ) -> Result<Self, String> {
        let normalize = |items: &[String]| -> Result<Vec<String>, String> {
            items
                .iter()
                .flat_map(|s| s.split(','))
                .map(|s| s.trim().to_ascii_uppercase())
                .filter(|s| !s.is_empty())
                .map(|s| {
                    if s == "ALL" || registry.rules().iter().any(|r| r.meta.id.starts_with(&s)) {
                        Ok(s)
                    } else {
                        Err(format!(
                            "unknown rule selector `{s}`: expected ALL, a rule id (e.g. NET001) or a prefix of one (e.g. IAM, LOG0); see `nobastion rules`"
                        ))
                    }
                })
                .collect()
        };
        let select = match select {
            Some(items) => normalize(items)?,
            None => vec!["ALL".to_owned()],
        };
        let ignore = normalize(ignore)?;
        let selection = Selection { select, ignore };
        if selection.ignore.iter().any(|i| i == "NB001") {
            return Err(
                "NB001 (not-assessed) cannot be ignored: use --allow-incomplete to accept an incomplete scan explicitly"
                    .to_owned(),
            );
        }
        Ok(selection)
    }

    pub fn is_selected(&self, id: &str) -> bool {
        // NB001 is never switched off by selection: what could not be checked is always said.
        if id == "NB001" {
            return true;
        }
        let specificity = |selectors: &[String]| {
            selectors
                .iter()
                .filter(|s| *s == "ALL" || id.starts_with(s.as_str()))
                .map(|s| if s == "ALL" { 0 } else { s.len() })
                .max()
        };
        match (specificity(&self.select), specificity(&self.ignore)) {
            (Some(s), Some(i)) => s > i,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }
}
