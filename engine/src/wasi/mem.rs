//! Guest-memory access for host functions: every pointer the guest passes is
//! bounds-checked, and an out-of-bounds one becomes `EFAULT`, never a panic.

use super::abi::{EFAULT, EILSEQ, Errno, IOVEC_SIZE};

/// A view of the calling instance's linear memory.
pub struct GuestMem<'a> {
    pub bytes: &'a mut [u8],
}

impl<'a> GuestMem<'a> {
    pub fn new(bytes: &'a mut [u8]) -> Self {
        GuestMem { bytes }
    }

    fn range(&self, ptr: u32, len: u64) -> Result<std::ops::Range<usize>, Errno> {
        let start = ptr as u64;
        let end = start.checked_add(len).ok_or(EFAULT)?;
        if end > self.bytes.len() as u64 {
            return Err(EFAULT);
        }
        Ok(start as usize..end as usize)
    }

    pub fn slice(&self, ptr: u32, len: u32) -> Result<&[u8], Errno> {
        let r = self.range(ptr, len as u64)?;
        Ok(&self.bytes[r])
    }

    pub fn slice_mut(&mut self, ptr: u32, len: u32) -> Result<&mut [u8], Errno> {
        let r = self.range(ptr, len as u64)?;
        Ok(&mut self.bytes[r])
    }

    pub fn write(&mut self, ptr: u32, data: &[u8]) -> Result<(), Errno> {
        let r = self.range(ptr, data.len() as u64)?;
        self.bytes[r].copy_from_slice(data);
        Ok(())
    }

    pub fn read_u32(&self, ptr: u32) -> Result<u32, Errno> {
        let s = self.slice(ptr, 4)?;
        Ok(u32::from_le_bytes(s.try_into().expect("4 bytes")))
    }

    pub fn read_u64(&self, ptr: u32) -> Result<u64, Errno> {
        let s = self.slice(ptr, 8)?;
        Ok(u64::from_le_bytes(s.try_into().expect("8 bytes")))
    }

    pub fn write_u8(&mut self, ptr: u32, v: u8) -> Result<(), Errno> {
        self.write(ptr, &[v])
    }

    pub fn write_u16(&mut self, ptr: u32, v: u16) -> Result<(), Errno> {
        self.write(ptr, &v.to_le_bytes())
    }

    pub fn write_u32(&mut self, ptr: u32, v: u32) -> Result<(), Errno> {
        self.write(ptr, &v.to_le_bytes())
    }

    pub fn write_u64(&mut self, ptr: u32, v: u64) -> Result<(), Errno> {
        self.write(ptr, &v.to_le_bytes())
    }

    /// A UTF-8 string (paths); invalid UTF-8 is `EILSEQ`.
    pub fn read_str(&self, ptr: u32, len: u32) -> Result<String, Errno> {
        let s = self.slice(ptr, len)?;
        String::from_utf8(s.to_vec()).map_err(|_| EILSEQ)
    }

    /// An array of `iovec`/`ciovec` (buf u32, buf_len u32), every buffer checked.
    pub fn iovecs(&self, iovs: u32, count: u32) -> Result<Vec<(u32, u32)>, Errno> {
        let total = (count as u64) * IOVEC_SIZE as u64;
        let r = self.range(iovs, total)?;
        let raw = &self.bytes[r];
        let mut out = Vec::with_capacity(count as usize);
        for c in raw.chunks_exact(IOVEC_SIZE) {
            let buf = u32::from_le_bytes(c[0..4].try_into().expect("4 bytes"));
            let len = u32::from_le_bytes(c[4..8].try_into().expect("4 bytes"));
            self.range(buf, len as u64)?;
            out.push((buf, len));
        }
        Ok(out)
    }

    /// Gather the bytes of `ciovec`s (for writes).
    pub fn gather(&self, iovs: &[(u32, u32)]) -> Result<Vec<u8>, Errno> {
        let mut out = Vec::new();
        for &(p, l) in iovs {
            out.extend_from_slice(self.slice(p, l)?);
        }
        Ok(out)
    }

    /// Scatter `data` into `iovec`s (for reads); returns bytes stored.
    pub fn scatter(&mut self, iovs: &[(u32, u32)], data: &[u8]) -> Result<usize, Errno> {
        let mut done = 0;
        for &(p, l) in iovs {
            if done == data.len() {
                break;
            }
            let n = (l as usize).min(data.len() - done);
            self.write(p, &data[done..done + n])?;
            done += n;
        }
        Ok(done)
    }

    /// Write a list of strings NUL-terminated into `buf`, and their pointers into `ptrs`
    /// (`args_get`, `environ_get`).
    pub fn write_string_list(
        &mut self,
        ptrs: u32,
        buf: u32,
        items: &[Vec<u8>],
    ) -> Result<(), Errno> {
        let mut at = buf;
        for (i, s) in items.iter().enumerate() {
            let slot = ptrs.checked_add(4 * i as u32).ok_or(EFAULT)?;
            self.write_u32(slot, at)?;
            self.write(at, s)?;
            let nul = at.checked_add(s.len() as u32).ok_or(EFAULT)?;
            self.write_u8(nul, 0)?;
            at = nul.checked_add(1).ok_or(EFAULT)?;
        }
        Ok(())
    }
}

/// Total length of iovecs (saturating; lengths are u32 each).
pub fn iovec_total(iovs: &[(u32, u32)]) -> u64 {
    iovs.iter().map(|&(_, l)| l as u64).sum()
}
