//! A sweep over MPI ranks (cargo feature `mpi`, rsmpi over the system's MPI): `World` starts MPI
//! when the process was launched by `mpirun`/`mpiexec` (or srun with PMI) and gives the sweep
//! its rank, size, a broadcast from rank 0 and a gather to rank 0. Only the main thread calls
//! MPI (the runs' rayon workers never do), so MPI is started with `Threading::Funneled`.

use mpi::Count;
use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;

use super::Ranks;

/// The MPI world of this process. Dropping it finalizes MPI.
pub struct World {
    // Fields drop in order: the communicator before the universe that finalizes MPI.
    comm: SimpleCommunicator,
    _universe: Universe,
}

impl World {
    /// Starts MPI if an MPI launcher started this process; `None` otherwise (a plain run, which
    /// then needs no MPI at all) or if MPI was already started.
    pub fn init() -> Option<World> {
        if !super::launched_by_mpi() {
            return None;
        }
        let (universe, _provided) = mpi::initialize_with_threading(mpi::Threading::Funneled)?;
        Some(World {
            comm: universe.world(),
            _universe: universe,
        })
    }
}

impl Ranks for World {
    fn rank(&self) -> usize {
        usize::try_from(self.comm.rank()).unwrap_or(0)
    }

    fn size(&self) -> usize {
        usize::try_from(self.comm.size()).unwrap_or(1)
    }

    fn broadcast(&self, value: u64) -> u64 {
        let mut v = value;
        self.comm.process_at_rank(0).broadcast_into(&mut v);
        v
    }

    fn gather(&self, bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
        let root = self.comm.process_at_rank(0);
        let len = Count::try_from(bytes.len()).unwrap_or(Count::MAX);
        if self.comm.rank() != 0 {
            root.gather_into(&len);
            root.gather_varcount_into(bytes);
            return None;
        }
        let mut counts = vec![0 as Count; self.size()];
        root.gather_into_root(&len, &mut counts[..]);
        let displs: Vec<Count> = counts
            .iter()
            .scan(0, |at, &n| {
                let here = *at;
                *at += n;
                Some(here)
            })
            .collect();
        let total: usize = counts.iter().map(|&n| n as usize).sum();
        let mut buf = vec![0u8; total];
        {
            let mut partition = PartitionMut::new(&mut buf[..], &counts[..], &displs[..]);
            root.gather_varcount_into_root(bytes, &mut partition);
        }
        Some(
            counts
                .iter()
                .zip(&displs)
                .map(|(&n, &at)| buf[at as usize..(at + n) as usize].to_vec())
                .collect(),
        )
    }
}
