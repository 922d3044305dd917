//! The `fcmock` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser as _;

// The static (musl) build, the one in the container, uses mimalloc: musl's
// own allocator serialises threads under load. glibc builds keep the system
// allocator: mimalloc gave them ~5% more flows/s but ~11 MB more idle RSS.
#[cfg(target_env = "musl")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    // On one CPU (a container limited to one, `taskset -c 0`) a single
    // thread does the work without the multi-thread scheduler's hand-offs:
    // 144 µs of CPU per flow instead of 157 (bench/pinned.sh, medians of 9
    // interleaved runs), with the same flow p99.
    let one = std::thread::available_parallelism().is_ok_and(|n| n.get() == 1);
    let runtime = if one {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread().enable_all().build()
    };
    match runtime {
        Ok(rt) => rt.block_on(fcmock::cli::run(fcmock::cli::Cli::parse())),
        Err(e) => {
            eprintln!("fcmock: cannot start the runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `fcmock personas list | head` closes fcmock's standard output early;
/// Rust ignores SIGPIPE, so the next `println!` panics. Exit quietly
/// instead, with the status a process killed by SIGPIPE has (128 + 13), as
/// other command-line tools do.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}
