//! The `cnxbackup` executable; everything lives in the library of the same name.

fn main() -> std::process::ExitCode {
    cnxbackup::main_entry()
}
