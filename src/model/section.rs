//! [`Section`]: a part of the snapshot that was either collected or could not be.
//!
//! Every list of resources in the snapshot is wrapped in a `Section`, so that code reading the
//! snapshot cannot mistake "could not read" for "there is nothing": rules must handle
//! [`Section::NotCollected`] (the engine turns it into an NB001 not-assessed finding).
//!
//! JSON form (externally tagged, so deserialization streams and errors keep their position):
//! `{"collected": [...]}` or `{"not_collected": {"message": "...", "operation": "ec2:DescribeSecurityGroups"}}`.
//! A section that is absent from a snapshot file reads as not collected: fail closed.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A collected section, or the reason it is missing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Section<T> {
    /// The data was read completely.
    Collected(T),
    /// The data could not be read (or was not in the input); rules report not-assessed.
    NotCollected(Gap),
}

/// Why a section (or a whole account or region) could not be collected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gap {
    /// A sentence a person can act on, e.g. "`AccessDenied`: not authorized to perform
    /// ec2:DescribeSecurityGroups".
    pub message: String,
    /// The API operation that failed (`service:Operation`), when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The error code returned (`AccessDenied`, `Throttling`, …), when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
}

impl Gap {
    pub fn new(message: impl Into<String>) -> Self {
        Gap {
            message: message.into(),
            operation: None,
            error_code: None,
        }
    }

    #[must_use]
    pub fn with_operation(mut self, operation: impl Into<String>) -> Self {
        self.operation = Some(operation.into());
        self
    }

    #[must_use]
    pub fn with_error_code(mut self, code: impl Into<String>) -> Self {
        self.error_code = Some(code.into());
        self
    }

    /// One line naming operation, error code and message.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        if let Some(op) = &self.operation {
            out.push_str(op);
            out.push_str(": ");
        }
        if let Some(code) = &self.error_code
            && !self.message.starts_with(code.as_str())
        {
            out.push_str(code);
            out.push_str(": ");
        }
        out.push_str(&self.message);
        out
    }
}

impl<T> Section<T> {
    pub fn not_collected(message: impl Into<String>) -> Self {
        Section::NotCollected(Gap::new(message))
    }

    /// The collected data, or the gap.
    pub fn get(&self) -> Result<&T, &Gap> {
        match self {
            Section::Collected(value) => Ok(value),
            Section::NotCollected(gap) => Err(gap),
        }
    }

    pub fn get_mut(&mut self) -> Result<&mut T, &mut Gap> {
        match self {
            Section::Collected(value) => Ok(value),
            Section::NotCollected(gap) => Err(gap),
        }
    }

    pub fn is_collected(&self) -> bool {
        matches!(self, Section::Collected(_))
    }

    pub fn as_option(&self) -> Option<&T> {
        self.get().ok()
    }
}

impl<T> Default for Section<T> {
    /// Absent means not collected: a snapshot that says nothing about a section is never read
    /// as "the section is empty".
    fn default() -> Self {
        Section::NotCollected(Gap::new("not present in the snapshot"))
    }
}

impl<T> From<T> for Section<T> {
    fn from(value: T) -> Self {
        Section::Collected(value)
    }
}

impl<T> Section<Vec<T>> {
    /// An empty, collected list (the input was read and contains nothing).
    pub fn empty() -> Self {
        Section::Collected(Vec::new())
    }

    /// Items when collected, or an empty slice: only for code that already reported the gap
    /// (or that merely enriches messages and must not decide anything).
    pub fn items_or_empty(&self) -> &[T] {
        match self {
            Section::Collected(items) => items,
            Section::NotCollected(_) => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_forms_round_trip() {
        let collected: Section<Vec<u32>> = Section::Collected(vec![1, 2]);
        let text = serde_json::to_string(&collected).unwrap();
        assert_eq!(text, r#"{"collected":[1,2]}"#);
        assert_eq!(
            serde_json::from_str::<Section<Vec<u32>>>(&text).unwrap(),
            collected
        );

        let gap: Section<Vec<u32>> =
            Section::NotCollected(Gap::new("denied").with_operation("ec2:DescribeVpcs"));
        let text = serde_json::to_string(&gap).unwrap();
        assert_eq!(
            text,
            r#"{"not_collected":{"message":"denied","operation":"ec2:DescribeVpcs"}}"#
        );
        assert_eq!(
            serde_json::from_str::<Section<Vec<u32>>>(&text).unwrap(),
            gap
        );
    }

    #[test]
    fn default_is_not_collected() {
        let section: Section<Vec<u32>> = Section::default();
        assert!(!section.is_collected());
        assert!(section.items_or_empty().is_empty());
    }

    #[test]
    fn errors_inside_collected_data_keep_their_position() {
        let text = "{\"collected\": [1,\n 2,\n \"three\"]}";
        let err = serde_json::from_str::<Section<Vec<u32>>>(text).unwrap_err();
        assert_eq!(err.line(), 3, "{err}");
    }

    #[test]
    fn describe_names_operation_and_code() {
        let gap = Gap::new("User is not authorized")
            .with_operation("iam:GetAccountAuthorizationDetails")
            .with_error_code("AccessDenied");
        assert_eq!(
            gap.describe(),
            "iam:GetAccountAuthorizationDetails: AccessDenied: User is not authorized"
        );
    }
}
