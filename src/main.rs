//! Entry point of the `cobrowse` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    cobrowse::cli::main(std::env::args().skip(1).collect()).await
}
