//! Exact binary messages between processes and shards: numbers as their 64 bits (little
//! endian), so what is read back is bit for bit what was written, NaN and -0 included. Used for
//! a sweep's results sent between MPI ranks and for the day records a `run` or `compare` shard
//! keeps for `exodus merge`. Lengths are checked against what is left, so damaged bytes are
//! refused (`None`) rather than read as huge allocations.

/// Writes a message.
#[derive(Debug, Default)]
pub struct Put(pub Vec<u8>);

impl Put {
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }
    pub fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }
    pub fn f64s(&mut self, xs: &[f64]) {
        self.len(xs.len());
        xs.iter().for_each(|&x| self.f64(x));
    }
    pub fn u64s(&mut self, xs: &[u64]) {
        self.len(xs.len());
        xs.iter().for_each(|&x| self.u64(x));
    }
    pub fn str(&mut self, s: &str) {
        self.len(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }
}

/// Reads a message; every method gives `None` when the bytes run out or are not what is asked.
#[derive(Debug)]
pub struct Take<'a>(pub &'a [u8]);

impl<'a> Take<'a> {
    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.0.split_at_checked(n)?;
        self.0 = tail;
        Some(head)
    }
    pub fn u8(&mut self) -> Option<u8> {
        Some(self.bytes(1)?[0])
    }
    pub fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.bytes(8)?.try_into().ok()?))
    }
    /// A length of items of `each` bytes at least, no more than what is left.
    pub fn len(&mut self, each: usize) -> Option<usize> {
        let n = usize::try_from(self.u64()?).ok()?;
        (n.checked_mul(each.max(1))? <= self.0.len()).then_some(n)
    }
    pub fn f64(&mut self) -> Option<f64> {
        self.u64().map(f64::from_bits)
    }
    pub fn f64s(&mut self) -> Option<Vec<f64>> {
        let n = self.len(8)?;
        (0..n).map(|_| self.f64()).collect()
    }
    pub fn u64s(&mut self) -> Option<Vec<u64>> {
        let n = self.len(8)?;
        (0..n).map(|_| self.u64()).collect()
    }
    pub fn str(&mut self) -> Option<String> {
        let n = self.len(1)?;
        String::from_utf8(self.bytes(n)?.to_vec()).ok()
    }
    /// Whether everything was read.
    pub fn done(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_back_bit_for_bit_and_damage_is_refused() {
        let mut p = Put::default();
        p.u8(3);
        p.f64s(&[f64::NAN, -0.0, 1e-310, f64::INFINITY]);
        p.u64s(&[u64::MAX, 0]);
        p.str("é, 1");
        let bytes = p.0;
        let mut t = Take(&bytes);
        assert_eq!(t.u8(), Some(3));
        let xs = t.f64s().unwrap();
        let bits: Vec<u64> = xs.iter().map(|x| x.to_bits()).collect();
        let want: Vec<u64> = [f64::NAN, -0.0, 1e-310, f64::INFINITY]
            .iter()
            .map(|x| x.to_bits())
            .collect();
        assert_eq!(bits, want);
        assert_eq!(t.u64s(), Some(vec![u64::MAX, 0]));
        assert_eq!(t.str().as_deref(), Some("é, 1"));
        assert!(t.done());
        // A length larger than what is left is refused, not allocated.
        let mut huge = Put::default();
        huge.u64(u64::MAX / 2);
        assert!(Take(&huge.0).f64s().is_none());
        // The last byte cut: the string at the end cannot be read.
        let mut short = Take(&bytes[..bytes.len() - 1]);
        assert_eq!(short.u8(), Some(3));
        assert!(short.f64s().is_some() && short.u64s().is_some());
        assert!(short.str().is_none());
        let mut cut = Take(&bytes[..20]);
        assert_eq!(cut.u8(), Some(3));
        assert!(cut.f64s().is_none());
    }
}
