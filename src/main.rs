//! The `numkeep` binary: everything lives in the library.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    numkeep::shell::cli::main()
}
