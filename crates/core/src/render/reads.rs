//! The entries of one generator read in their order, the costly ones on every core: the one
//! place that decides when a list of inputs is read in parallel (the builtin generator's
//! `files` and `envs`, a KSOPS config's `files` and `secretFrom` entries).

use crate::error::Result;

/// From this many entries on, a list whose first entry needed a decryption reads (and
/// decrypts) the rest on every core before taking them in order: each SOPS file's data key
/// may cost a gpg process or a KMS round trip, and files are independent. Plain files are
/// read in turn: starting threads costs more than reading them (and a plugin call, one
/// generator per process, would start them for nothing). The first failure in order is
/// still the one reported.
const PARALLEL_READS: usize = 4;

/// The entries read in order, as an iterator of their reads: the first alone, then, when it
/// was decrypted (`costly`) and enough remain, the rest in parallel; else each in turn. A
/// caller stops at the first failure it takes.
pub(crate) struct Reads<'a, 'r, E, T, R, C> {
    entries: &'a [E],
    read: &'r R,
    costly: C,
    at: usize,
    ahead: Option<std::vec::IntoIter<Result<T>>>,
}

impl<'a, 'r, E, T, R> Reads<'a, 'r, E, T, R, fn(&T) -> bool>
where
    E: Sync,
    T: Send,
    R: Fn(&'a E) -> Result<T> + Sync,
{
    /// Entries that are each a decryption (a KSOPS config's inputs are all SOPS files).
    pub(crate) fn decrypting(entries: &'a [E], read: &'r R) -> Self {
        Reads::new(entries, read, |_| true)
    }
}

impl<'a, 'r, E, T, R, C> Reads<'a, 'r, E, T, R, C>
where
    E: Sync,
    T: Send,
    R: Fn(&'a E) -> Result<T> + Sync,
    C: Fn(&T) -> bool,
{
    pub(crate) fn new(entries: &'a [E], read: &'r R, costly: C) -> Self {
        Reads {
            entries,
            read,
            costly,
            at: 0,
            ahead: None,
        }
    }
}

impl<'a, 'r, E, T, R, C> Iterator for Reads<'a, 'r, E, T, R, C>
where
    E: Sync,
    T: Send,
    R: Fn(&'a E) -> Result<T> + Sync,
    C: Fn(&T) -> bool,
{
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        if let Some(done) = self.ahead.as_mut() {
            return done.next();
        }
        let entry = self.entries.get(self.at)?;
        self.at += 1;
        let first = (self.read)(entry);
        let rest = &self.entries[self.at..];
        if self.at == 1
            && rest.len() + 1 >= PARALLEL_READS
            && first.as_ref().is_ok_and(|v| (self.costly)(v))
        {
            use rayon::prelude::*;
            let read = self.read;
            self.ahead = Some(rest.par_iter().map(read).collect::<Vec<_>>().into_iter());
        }
        Some(first)
    }
}
