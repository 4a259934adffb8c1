//! The `nobastion` binary: a thin shell over the library. It parses the command line, runs
//! the chosen subcommand and maps the outcome to an exit code (see `nobastion::cli`).

/// mimalloc instead of the system allocator: the IAM rules and the access map allocate many
/// small, short-lived values on every core, where glibc's per-thread arenas cost time and
/// hold on to memory (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    nobastion::cli::main()
}
