//! The `nobastion` binary: a thin shell over the library. It parses the command line, runs
//! the chosen subcommand and maps the outcome to an exit code (see `nobastion::cli`).

fn main() -> std::process::ExitCode {
    nobastion::cli::main()
}
