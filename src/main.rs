//! Entry point of the `cobrowse` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    // Before any thread starts: the only time changing the environment is sound.
    cobrowse::settings::forget_empty_variables();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    // Frame encoding runs on blocking threads and is CPU-bound: more threads than cores only
    // add memory (each thread's allocator arena keeps freed frame buffers).
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().max_blocking_threads((cores * 2).max(4)).build();
    match runtime {
        Ok(runtime) => runtime.block_on(cobrowse::cli::main(std::env::args().skip(1).collect())),
        Err(e) => {
            eprintln!("cobrowse: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}
