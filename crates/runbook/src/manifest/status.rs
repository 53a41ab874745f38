//! How a step or component ended: [`StepStatus`] (its own file: the document and the
//! declared components' records both name it).

use serde::{Deserialize, Serialize};

/// How a step or component ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Done.
    Ok,
    /// Done, but some files could not be read or changed while read (see warnings).
    Partial,
    /// Failed: the component is missing or unusable.
    Failed,
    /// Not run: the plan skips it (the reason is recorded).
    Skipped,
    /// Its paths do not exist on this host.
    Missing,
}
