//! Resource handle tables (one per component instance).

/// A resource handle table: one per component instance. Index 0 is never
/// a handle.
#[derive(Debug, Default, Clone)]
pub struct HandleTable {
    slots: Vec<Option<Handle>>,
    free: Vec<u32>,
}

#[derive(Debug, Clone, Copy)]
pub struct Handle {
    pub rep: u32,
    /// Resource type key.
    pub res: u32,
    pub own: bool,
}

impl HandleTable {
    pub fn add(&mut self, h: Handle) -> u32 {
        if self.slots.is_empty() {
            self.slots.push(None);
        }
        if let Some(i) = self.free.pop() {
            self.slots[i as usize] = Some(h);
            i
        } else {
            self.slots.push(Some(h));
            (self.slots.len() - 1) as u32
        }
    }

    pub fn get(&self, i: u32) -> Option<Handle> {
        self.slots.get(i as usize).copied().flatten()
    }

    pub fn remove(&mut self, i: u32) -> Option<Handle> {
        let h = self.slots.get_mut(i as usize)?.take()?;
        self.free.push(i);
        Some(h)
    }

    /// Live handles.
    pub fn len(&self) -> usize {
        self.slots.iter().flatten().count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
