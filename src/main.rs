//! The `exodus` binary: parse the command line, run the command, map errors to exit codes
//! (0 ok, 1 run failed, 2 bad usage or input). Everything else lives in the library.

use std::process::ExitCode;

use clap::Parser;
use exodus::app;
use exodus::cli::{Cli, Command};
use exodus::output::text::terminal;

fn main() -> ExitCode {
    default_sigpipe();
    let cli = Cli::parse();
    // A vector path named in the environment that cannot run here is refused before any work.
    if let Err(message) = exodus::rng::Vector::from_env() {
        exodus::output::text::print_error(message);
        return ExitCode::from(2);
    }
    // Ctrl-C and SIGTERM remove the files being written before exodus exits (the explorer
    // writes none, and stops its server itself).
    if !matches!(cli.command, Command::Explore(_)) {
        exodus::output::cleanup::install();
    }
    let result = match cli.command {
        Command::Run(args) => {
            let quiet = args.sim.quiet;
            let opts = match args.into_options(command_line()) {
                Ok(o) => o,
                Err(message) => {
                    exodus::output::text::print_error(message);
                    return ExitCode::from(2);
                }
            };
            match opts.shard {
                Some(shard) => app::run_shard(&opts, shard).map(|r| print_shard(&r, quiet)),
                None => app::run(&opts).map(|report| {
                    if !quiet {
                        print!("{}", app::summary_table(&report));
                    }
                }),
            }
        }
        Command::Validate(args) => {
            app::validate(&args.scenario, &args.sets, args.output()).map(|text| print!("{text}"))
        }
        Command::Check(args) => {
            let (quiet, strict) = (args.sim.quiet, args.strict);
            let opts = args.into_options(command_line());
            match app::check(&opts) {
                Ok((report, results)) => {
                    if !quiet {
                        for r in &results {
                            let mark = if r.fits { "fits" } else { "MISS" };
                            let (model, low, high) =
                                exodus::calibration::show_against(r.model, r.low, r.high);
                            let spread = if r.replicates > 1 {
                                format!("  (fits in {} of {})", r.fits_in, r.replicates)
                            } else {
                                String::new()
                            };
                            println!(
                                "{mark:>4}  {:<5} {:<60} model {model:>12}  accepted {low} .. {high}{spread}",
                                r.id, r.description
                            );
                        }
                    }
                    let fits = results.iter().filter(|r| r.fits).count();
                    if !quiet {
                        println!(
                            "{fits} of {} targets fit; report in {}",
                            results.len(),
                            report.display()
                        );
                    }
                    if strict && fits < results.len() {
                        exodus::output::text::print_error(format!(
                            "{} of {} targets miss their accepted interval (--strict)",
                            results.len() - fits,
                            results.len()
                        ));
                        return ExitCode::from(1);
                    }
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }
        Command::Calibrate(args) => {
            let quiet = args.quiet;
            let opts = args.into_options(command_line());
            exodus::calibrate::run(&opts).map(|done| {
                if !quiet {
                    print!("{}", done.summary);
                    println!("results in {}", done.out.display());
                }
                if !done.complete {
                    eprintln!(
                        "exodus: stopped before the last generation finished ({}); the results are the last finished generation's. Rerun the same command with a larger budget to resume.",
                        done.stopped
                    );
                }
            })
        }
        Command::Compare(args) => {
            let quiet = args.sim.quiet;
            match args.into_options(command_line()) {
                Ok(opts) => match opts.shard {
                    Some(shard) => app::compare_shard(&opts, shard).map(|r| print_shard(&r, quiet)),
                    None => app::compare(&opts).map(|out| {
                        if !quiet {
                            // The files are in place; a table that cannot be read back is
                            // only not shown.
                            if let Ok(d) = exodus::report::ComparisonData::load(&out) {
                                print!("{}", exodus::report::comparison_table(&d));
                            }
                            println!("comparison in {}", out.display());
                        }
                    }),
                },
                Err(e) => {
                    match &e {
                        exodus::cli::CompareArgsError::File(e) => print_problems(e),
                        e => exodus::output::text::print_error(e),
                    }
                    return ExitCode::from(2);
                }
            }
        }
        Command::Sweep(args) => {
            let quiet = args.quiet;
            let opts = match args.into_options() {
                Ok(o) => o,
                Err(message) => {
                    exodus::output::text::print_error(message);
                    return ExitCode::from(2);
                }
            };
            // Under mpirun (cargo feature `mpi`) the ranks share the sweep and only rank 0
            // reports; otherwise one process runs it.
            #[cfg(feature = "mpi")]
            let world = exodus::sweep::mpi::World::init();
            #[cfg(feature = "mpi")]
            let ranks = world.as_ref().map(|w| w as &dyn exodus::sweep::Ranks);
            #[cfg(not(feature = "mpi"))]
            let ranks: Option<&dyn exodus::sweep::Ranks> = None;
            // Without the feature, K ranks would each run the whole sweep into one folder.
            #[cfg(not(feature = "mpi"))]
            if exodus::sweep::mpi_launch_size() > 1 {
                exodus::output::text::print_error(format!(
                    "started by an MPI launcher as {} processes, but this exodus was built without MPI, so each would run the whole sweep: build it with `cargo build --release --features mpi` (after scripts/install-mpi.sh), or split the sweep with --shard I/N",
                    exodus::sweep::mpi_launch_size()
                ));
                return ExitCode::from(2);
            }
            let quiet = quiet || ranks.is_some_and(|r| r.rank() != 0);
            match exodus::sweep::run_on(&opts, ranks) {
                Ok(done) => {
                    if !quiet {
                        println!(
                            "{} point(s) run, {} resumed, {} of the sweep's {} point(s) in {} ({:.1} s)",
                            done.ran,
                            done.resumed,
                            done.ran + done.resumed,
                            done.points,
                            done.out.display(),
                            done.seconds
                        );
                        for f in &done.files {
                            println!("{}", f.display());
                        }
                    }
                    if !done.failed.is_empty() {
                        exodus::output::text::print_error(format!(
                            "{} point(s) failed and are recorded in {} (the sweep went on):",
                            done.failed.len(),
                            done.out.join("failures.csv").display()
                        ));
                        for (p, e) in done.failed.iter().take(5) {
                            eprintln!("  point {p}: {e}");
                        }
                        if done.failed.len() > 5 {
                            eprintln!("  and {} more", done.failed.len() - 5);
                        }
                        return ExitCode::from(1);
                    }
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }
        Command::Sensitivity(args) => {
            let opts = args.options();
            match exodus::sweep::analyse::analyse(&opts) {
                Ok(a) => {
                    let out = opts.out.clone().unwrap_or_else(|| opts.results.clone());
                    if !args.quiet {
                        print!("{}", exodus::sweep::analyse::markdown(&a, opts.level));
                    }
                    exodus::sweep::analyse::write(&a, &out, &opts).map(|files| {
                        if !args.quiet {
                            for f in files {
                                println!("{}", f.display());
                            }
                        }
                    })
                }
                Err(e) => Err(e),
            }
        }
        Command::Merge(args) => {
            let Some(out) = args
                .out
                .clone()
                .or_else(|| exodus::sweep::merge::default_out(&args.dirs))
            else {
                exodus::output::text::print_error(
                    "the shards' folders are not in one folder; give --out",
                );
                return ExitCode::from(2);
            };
            app::merge(&args.dirs, &out, !args.no_plots, args.force).map(|files| {
                if !args.quiet {
                    for f in files {
                        println!("{}", f.display());
                    }
                }
            })
        }
        Command::Bench(args) => {
            let opts = args.into_options(command_line());
            let exe = match std::env::current_exe() {
                Ok(exe) => exe,
                Err(e) => {
                    exodus::output::text::print_error(format!(
                        "cannot find the exodus executable to run cases: {e}"
                    ));
                    return ExitCode::from(1);
                }
            };
            match exodus::bench::run(&opts, &exe) {
                Ok((files, failed)) => {
                    if !opts.quiet {
                        println!("table and charts in {}", opts.out.display());
                        for f in files {
                            println!("{}", f.display());
                        }
                    }
                    if !failed.is_empty() {
                        exodus::output::text::print_error(format!(
                            "{} case(s) could not run:",
                            failed.len()
                        ));
                        for f in &failed {
                            eprintln!("  {f}");
                        }
                        return ExitCode::from(1);
                    }
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }
        Command::BenchCase(args) => match exodus::bench::run_case(&args.case()) {
            Ok(row) => match serde_json::to_string(&row) {
                Ok(text) => {
                    println!("{text}");
                    Ok(())
                }
                Err(e) => {
                    exodus::output::text::print_error(e);
                    return ExitCode::from(1);
                }
            },
            Err(e) => Err(e),
        },
        Command::Report {
            results,
            out,
            quiet,
        } => app::report(&results, out.as_deref()).map(|files| {
            if !quiet {
                for f in files {
                    println!("{}", f.display());
                }
            }
        }),
        Command::Completions { shell } => {
            exodus::cli::completions(shell, &mut std::io::stdout());
            Ok(())
        }
        Command::Man { out } => man(out.as_deref()),
        Command::Schema { out } => schema(out.as_deref()),
        Command::Explore(args) => exodus::explore::serve(&args.options(), |address| {
            use std::io::Write;
            println!(
                "exodus explore: {} at {address} (Ctrl-C stops it)",
                args.scenario.display()
            );
            let _ = std::io::stdout().flush();
        })
        .map(|()| eprintln!("exodus explore: stopped")),
        Command::Plot(args) => {
            app::plot(&args.results, args.out.as_deref(), &args.options()).map(|files| {
                if !args.quiet {
                    for f in files {
                        println!("{}", f.display());
                    }
                }
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(app::AppError::Scenario(e)) => {
            print_problems(&e);
            ExitCode::from(2)
        }
        Err(e) => {
            exodus::output::text::print_error(terminal(&e.to_string()));
            // The whole cause chain, skipping causes the message already quotes.
            let mut shown = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                let text = cause.to_string();
                if !shown.contains(&text) {
                    eprintln!("  caused by: {}", terminal(&text));
                    shown.push_str(&text);
                }
                source = cause.source();
            }
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// A standard output closed early (`exodus completions bash | head`) ends exodus quietly, as
/// it ends other Unix tools, instead of a panic in `println!` (Rust ignores SIGPIPE by
/// default). Results are never written to standard output, only listed there once in place.
fn default_sigpipe() {
    #[cfg(target_os = "linux")]
    // SAFETY: setting the disposition of SIGPIPE to its default before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// `exodus man`: the man pages into `out` (each written atomically, names printed), or
/// exodus.1 on standard output.
fn man(out: Option<&std::path::Path>) -> Result<(), app::AppError> {
    let pages = exodus::cli::man_pages()
        .map_err(|e| app::AppError::Resources(format!("cannot render the man pages: {e}")))?;
    match out {
        None => {
            use std::io::Write;
            let (_, page) = &pages[0];
            std::io::stdout()
                .write_all(page)
                .map_err(|e| app::AppError::Resources(format!("cannot print the man page: {e}")))
        }
        Some(dir) => {
            exodus::output::create_dir(dir)?;
            for (name, page) in &pages {
                let path = exodus::output::atomic::write(&dir.join(name), page)?;
                println!("{}", path.display());
            }
            Ok(())
        }
    }
}

/// `exodus schema`: the scenario files' JSON Schema on standard output, or into `out`
/// (atomically, its name printed).
fn schema(out: Option<&std::path::Path>) -> Result<(), app::AppError> {
    let mut text = serde_json::to_string_pretty(&exodus::scenario::schema::scenario_schema())
        .map_err(|e| app::AppError::Resources(format!("cannot write the schema: {e}")))?;
    text.push('\n');
    match out {
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(text.as_bytes())
                .map_err(|e| app::AppError::Resources(format!("cannot print the schema: {e}")))
        }
        Some(file) => {
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                exodus::output::create_dir(dir)?;
            }
            let path = exodus::output::atomic::write(file, text.as_bytes())?;
            println!("{}", path.display());
            Ok(())
        }
    }
}

/// Prints each problem of an input file as `error: <message>` with its line marked under it,
/// then how many there were.
fn print_problems(e: &exodus::scenario::ScenarioError) {
    let each = e.each();
    for p in &each {
        // A value quoted from the file may hold control characters (a TOML "\u001b"): shown,
        // not sent to the terminal.
        exodus::output::text::print_error(terminal(&p.to_string()));
        if let Some(snippet) = p.snippet() {
            eprintln!("{snippet}");
        }
    }
    if each.len() > 1 {
        eprintln!("{} problems found", each.len());
    }
}

/// What a shard of `run` or `compare` prints when it finishes.
fn print_shard(r: &app::ShardReport, quiet: bool) {
    if !quiet {
        println!(
            "shard {}/{}: {} replicate(s) run, {} resumed, in {}; once every shard is done: exodus merge <the {} shard folders>",
            r.shard.index,
            r.shard.count,
            r.ran,
            r.resumed,
            r.out.display(),
            r.shard.count
        );
    }
}

/// The command line as typed, for manifests and reports; an argument that is not UTF-8 (a legal
/// path on Linux) is kept with its bad bytes replaced, never a panic.
fn command_line() -> Vec<String> {
    std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}
