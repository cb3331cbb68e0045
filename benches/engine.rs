//! Criterion benchmarks of the engine on the R1 workload (scenarios/reference-r1.toml) and the
//! historical scenario, at several sizes, on one thread and on all threads; the hand-written R1
//! loop (`exodus::bench::baseline`) beside them for reference; network builders measured
//! separately. Throughput is reported in agent-updates (agents x days) or agents built.
//!
//! Run: `cargo bench --bench engine` (add `-- r1` to select). `exodus bench` measures the same
//! workloads case by case in fresh processes, with peak memory (docs/performance.md).

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use exodus::engine::{self, World};
use exodus::network::Network;
use exodus::scenario::params::NetworkSpec;
use exodus::scenario::{self, Overrides, Params};

fn load(name: &str, agents: u64) -> Params {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    scenario::load(
        &path,
        &Overrides {
            agents: Some(agents),
            ..Overrides::default()
        },
    )
    .expect("shipped scenario")
    .params
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
}

fn simulate(c: &mut Criterion, group_name: &str, scenario: &str, sizes: &[u64]) {
    let mut group = c.benchmark_group(group_name);
    group.sample_size(10);
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    for &n in sizes {
        let params = load(scenario, n);
        group.throughput(Throughput::Elements(n * u64::from(params.days)));
        for threads in [1, all] {
            let pool = pool(threads);
            let (world, initial) = pool.install(|| World::build(&params, 0));
            group.bench_with_input(
                BenchmarkId::new(format!("{threads}-threads"), n),
                &n,
                |b, _| {
                    b.iter(|| {
                        pool.install(|| {
                            let fin = engine::simulate(&params, &world, initial.clone(), 0, |t| {
                                black_box(t);
                            });
                            black_box(fin)
                        })
                    })
                },
            );
            if all == 1 {
                break;
            }
        }
    }
    group.finish();
}

fn r1(c: &mut Criterion) {
    simulate(c, "r1", "reference-r1.toml", &[10_000, 100_000, 1_000_000]);
}

fn historical(c: &mut Criterion) {
    simulate(
        c,
        "historical",
        "historical-2025.toml",
        &[100_000, 1_000_000],
    );
}

fn r1_hand_written(c: &mut Criterion) {
    let mut group = c.benchmark_group("r1-hand-written");
    group.sample_size(10);
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    for n in [10_000u64, 100_000, 1_000_000] {
        group.throughput(Throughput::Elements(
            n * exodus::bench::baseline::DAYS as u64,
        ));
        for threads in [1, all] {
            let pool = pool(threads);
            group.bench_with_input(
                BenchmarkId::new(format!("{threads}-threads"), n),
                &n,
                |b, &n| {
                    // Network build included here (about 3% of the time at 10^6 agents).
                    b.iter(|| {
                        pool.install(|| black_box(exodus::bench::baseline::run(n as usize, 1, 1)))
                    })
                },
            );
            if all == 1 {
                break;
            }
        }
    }
    group.finish();
}

fn networks(c: &mut Criterion) {
    let mut group = c.benchmark_group("network-build");
    group.sample_size(10);
    for n in [1_000_000u64, 10_000_000] {
        group.throughput(Throughput::Elements(n));
        for scenario in [
            "reference-r1.toml",
            "historical-2025.toml",
            "bass-small-world.toml",
        ] {
            let params = load(scenario, n);
            // The same degree (10) for every kind at 10^7, as the performance targets state.
            let spec = match params.network {
                NetworkSpec::PowerLaw { exponent, .. } if n >= 10_000_000 => {
                    NetworkSpec::PowerLaw {
                        degree: 10,
                        exponent,
                    }
                }
                spec => spec,
            };
            group.bench_with_input(BenchmarkId::new(format!("{spec:?}"), n), &n, |b, &n| {
                b.iter(|| black_box(Network::build(&spec, n as usize, params.seed, 0, |_| 1.0)))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, r1, r1_hand_written, historical, networks);
criterion_main!(benches);
