//! `cargo bench`: the same benchmark as `cobrowse bench` (`cargo bench --bench core -- OPTIONS`),
//! with the freshly built `cobrowse` binary as the server under test.

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if args.iter().any(|a| a == "--list") {
        return std::process::ExitCode::SUCCESS;
    }
    cobrowse::bench::main(&args, std::path::Path::new(env!("CARGO_BIN_EXE_cobrowse"))).await
}
