//! The parts of a consumer's view: the bank's side, each directory's column, and a failure shown
//! in place of data. Shared by the view, its findings and its grid.

use d1::wire::Profile;
use serde::Serialize;

use crate::bank::IssuerConsumer;
use crate::{Error, ErrorCode};

/// A failure shown in place of data: the stable code and the detail in English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// What kind of failure.
    pub code: ErrorCode,
    /// What happened and what to check.
    pub message: String,
}

impl From<&Error> for Problem {
    fn from(error: &Error) -> Self {
        Self {
            code: error.code(),
            message: error.to_string(),
        }
    }
}

/// The bank's side of the view.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum BankSide {
    /// The bank's record.
    Found {
        /// The record.
        record: Box<IssuerConsumer>,
    },
    /// The bank does not know this consumer.
    Unknown,
    /// The issuer-records API failed.
    Unavailable {
        /// Why.
        problem: Problem,
    },
}

/// One directory's column.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum DirectoryState {
    /// The consumer's profile in this directory.
    Enrolled {
        /// The profile.
        profile: Box<Profile>,
    },
    /// The consumer is not in this directory.
    NotEnrolled,
    /// This directory (or D1 as a whole) could not be read.
    Unavailable {
        /// Why.
        problem: Problem,
    },
}

/// A directory and what it holds.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Directory {
    /// `VISA`, `MASTERCARD`, or another network D1 returned.
    pub scheme: String,
    /// What it holds.
    #[serde(flatten)]
    pub state: DirectoryState,
}
