//! The error type shared by every reader.

use std::path::{Path, PathBuf};

use crate::sysroot::SysrootError;

/// Why a WebSphere file could not be read. Every variant names the file by its *product*
/// path; parse errors carry the 1-based line when the parser knows it. Messages never
/// contain secret values.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be read (missing, unreadable, outside the sysroot...).
    #[error(transparent)]
    Io(#[from] SysrootError),
    /// The file was read but its content is malformed or not what the reader expects.
    #[error("{}{}: {message}", file.display(), line_note(*line))]
    Parse {
        /// Product path of the file.
        file: PathBuf,
        /// 1-based line of the problem, when known.
        line: Option<u64>,
        /// What is wrong (never contains secret values).
        message: String,
    },
}

fn line_note(line: Option<u64>) -> String {
    match line {
        Some(l) => format!(":{l}"),
        None => String::new(),
    }
}

impl ReadError {
    /// A parse error at a known or unknown line.
    pub fn parse(file: &Path, line: Option<u64>, message: impl Into<String>) -> ReadError {
        ReadError::Parse {
            file: file.to_path_buf(),
            line,
            message: message.into(),
        }
    }

    /// The product path the error is about, when it is a parse error or an I/O error on a
    /// file.
    pub fn file(&self) -> Option<&Path> {
        match self {
            ReadError::Parse { file, .. } => Some(file),
            ReadError::Io(SysrootError::Io { product, .. })
            | ReadError::Io(SysrootError::SymlinkLoop { product, .. }) => Some(product),
            ReadError::Io(SysrootError::NotAbsolute { path }) => Some(path),
            ReadError::Io(SysrootError::BadRoot { .. }) => None,
        }
    }

    /// The 1-based line of a parse error, when known.
    pub fn line(&self) -> Option<u64> {
        match self {
            ReadError::Parse { line, .. } => *line,
            ReadError::Io(_) => None,
        }
    }

    /// What went wrong without the file and line, for a message that names them already.
    pub fn detail(&self) -> String {
        match self {
            ReadError::Parse { message, .. } => message.clone(),
            ReadError::Io(e) => e.detail(),
        }
    }

    /// True when the file does not exist (so an optional input can be skipped).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io(e) if e.is_not_found())
    }
}
