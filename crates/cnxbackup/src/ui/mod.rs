//! How cnxbackup talks to the person at the terminal (docs/OUTPUT.md): aligned tables,
//! status words in colour only on a terminal and never with `NO_COLOR`, and progress bars on
//! stderr only when stderr is a terminal and neither `--json` nor `-q` was given.
//!
//! Every decision about the terminal is made in one place, [`Ui::decide`], from a
//! [`Terminal`] reading; commands take the resulting [`Ui`] and tests inject their own.
//! Numbers, sizes and times are written the same way everywhere by [`mod@format`]. Nothing here
//! knows a command: the helpers take plain values, so every command can use them.

pub mod format;
pub mod phases;
pub mod progress;
pub mod style;
pub mod table;
pub mod terminal;

pub use phases::PhasePrinter;
pub use progress::ProgressDisplay;
pub use style::{Style, Tone};
pub use table::Grid;
pub use terminal::{Terminal, Ui};
