//! Typed reads: a [`Reader`] walks a DWARF type over a variable's place
//! (memory, locals, globals, constant bytes) into a [`VarValue`] tree.

use super::*;

impl Reader<'_> {
    pub fn read(&mut self, ty: Option<&Ty>, place: &Place, depth: usize) -> VarValue {
        if self.budget == 0 || depth > MAX_TYPE_DEPTH {
            return VarValue::Elided;
        }
        self.budget -= 1;
        let Some(ty) = ty else {
            return VarValue::Unavailable("no type".to_string());
        };
        let Some((t, e)) = strip(ty) else {
            return VarValue::Unavailable("bad type".to_string());
        };
        match e.tag() {
            gimli::DW_TAG_base_type => self.read_base(&e, place),
            gimli::DW_TAG_pointer_type
            | gimli::DW_TAG_reference_type
            | gimli::DW_TAG_rvalue_reference_type => self.read_pointer(&t, &e, place),
            gimli::DW_TAG_enumeration_type => self.read_enum(&t, &e, place),
            gimli::DW_TAG_array_type => self.read_array(&t, &e, place, depth),
            gimli::DW_TAG_structure_type | gimli::DW_TAG_class_type | gimli::DW_TAG_union_type => {
                self.read_struct(&t, &e, place, depth)
            }
            gimli::DW_TAG_subroutine_type => VarValue::Unavailable("a function".to_string()),
            _ => VarValue::Unavailable(format!("unsupported type {}", e.tag())),
        }
    }

    pub(super) fn bytes(
        &self,
        place: &Place,
        offset: u64,
        len: usize,
    ) -> Result<Vec<u8>, VarValue> {
        place_bytes(self.frame, place, offset, len).ok_or_else(|| match place {
            Place::Memory(a) => VarValue::Unavailable(format!(
                "cannot read memory at {:#x}",
                a.wrapping_add(offset)
            )),
            Place::Bytes(_) => VarValue::Unavailable("value too short".to_string()),
        })
    }

    pub(super) fn read_base(&mut self, e: &Die, place: &Place) -> VarValue {
        let size = e
            .attr_value(gimli::DW_AT_byte_size)
            .and_then(|v| v.udata_value())
            .unwrap_or(0);
        if size == 0 || size > 16 {
            return VarValue::Unavailable(format!("base type of {size} bytes"));
        }
        let bytes = match self.bytes(place, 0, size as usize) {
            Ok(b) => b,
            Err(v) => return v,
        };
        let raw = le_uint(&bytes);
        let enc = match e.attr_value(gimli::DW_AT_encoding) {
            Some(AttributeValue::Encoding(enc)) => enc,
            _ => gimli::DW_ATE_signed,
        };
        decode_base(enc, size, raw)
    }

    pub(super) fn read_pointer(&mut self, t: &Ty, e: &Die, place: &Place) -> VarValue {
        let size = t.cu.address_size() as usize;
        let address = match self.bytes(place, 0, size) {
            Ok(b) => le_uint(&b) as u64,
            Err(v) => return v,
        };
        if let Some(pointee) = type_of(&t.cu, e)
            && is_char_type(&pointee)
            && e.tag() == gimli::DW_TAG_pointer_type
        {
            if address == 0 {
                return VarValue::CString {
                    address,
                    text: None,
                    truncated: false,
                };
            }
            let (text, truncated) = match read_c_string(self.frame, address) {
                Some((t, tr)) => (Some(t), tr),
                None => (None, false),
            };
            return VarValue::CString {
                address,
                text,
                truncated,
            };
        }
        if let Some(pointee) = type_of(&t.cu, e)
            && let Some((_, pe)) = strip(&pointee)
            && pe.tag() == gimli::DW_TAG_subroutine_type
        {
            return VarValue::FuncPointer {
                type_name: type_name(Some(t), 0),
                address,
                target: self.frame.function_name(address),
            };
        }
        VarValue::Pointer {
            type_name: type_name(Some(t), 0),
            address,
        }
    }

    pub(super) fn read_enum(&mut self, t: &Ty, e: &Die, place: &Place) -> VarValue {
        let size = byte_size(t, 0).unwrap_or(4).clamp(1, 16);
        let raw = match self.bytes(place, 0, size as usize) {
            Ok(b) => le_uint(&b),
            Err(v) => return v,
        };
        let signed = match type_of(&t.cu, e).and_then(|b| strip(&b)) {
            Some((_, base)) => !matches!(
                base.attr_value(gimli::DW_AT_encoding),
                Some(AttributeValue::Encoding(
                    gimli::DW_ATE_unsigned | gimli::DW_ATE_unsigned_char | gimli::DW_ATE_boolean
                ))
            ),
            None => true,
        };
        let value = if signed {
            sign_extend(raw, 8 * size as u32)
        } else {
            raw as i128
        };
        let mut name = None;
        for en in child_entries(t, gimli::DW_TAG_enumerator) {
            let Some(cv) = en.attr_value(gimli::DW_AT_const_value) else {
                continue;
            };
            let cv = match cv {
                AttributeValue::Sdata(s) => s as i128,
                other => match other.udata_value() {
                    Some(u) if signed => sign_extend(u as u128, 8 * size as u32),
                    Some(u) => u as i128,
                    None => continue,
                },
            };
            if cv == value {
                name = t.cu.string_attr(&en, gimli::DW_AT_name);
                break;
            }
        }
        VarValue::Enum { name, value }
    }

    pub(super) fn read_array(&mut self, t: &Ty, e: &Die, place: &Place, depth: usize) -> VarValue {
        let Some(elem) = type_of(&t.cu, e) else {
            return VarValue::Unavailable("array without element type".to_string());
        };
        let dims = array_dims(t);
        self.read_dims(&elem, &dims, place, depth)
    }

    pub(super) fn read_dims(
        &mut self,
        elem: &Ty,
        dims: &[Option<u64>],
        place: &Place,
        depth: usize,
    ) -> VarValue {
        let Some(elem_size) = byte_size(elem, 0) else {
            return VarValue::Unavailable("element size unknown".to_string());
        };
        let len = dims.first().copied().flatten().unwrap_or(0);
        let rest = dims.get(1..).unwrap_or(&[]);
        let stride = rest
            .iter()
            .map(|d| d.unwrap_or(0))
            .product::<u64>()
            .saturating_mul(elem_size);
        if rest.is_empty() && is_char_type(elem) {
            let n = len.min(MAX_STRING as u64) as usize;
            return match self.bytes(place, 0, n) {
                Ok(b) => char_array(&b),
                Err(v) => v,
            };
        }
        let mut elements = Vec::new();
        for i in 0..len.min(MAX_ELEMENTS) {
            if self.budget == 0 {
                break;
            }
            let p = sub_place(place, i.saturating_mul(stride));
            let v = if rest.is_empty() {
                self.read(Some(elem), &p, depth + 1)
            } else {
                self.read_dims(elem, rest, &p, depth + 1)
            };
            elements.push(v);
        }
        VarValue::Array { elements, len }
    }

    pub(super) fn read_struct(&mut self, t: &Ty, e: &Die, place: &Place, depth: usize) -> VarValue {
        if e.attr_value(gimli::DW_AT_declaration).is_some() {
            return VarValue::Unavailable("incomplete type".to_string());
        }
        let name = t.cu.string_attr(e, gimli::DW_AT_name).unwrap_or_default();
        if (t.cu.lang == Some(gimli::DW_LANG_Rust) || name.starts_with('&'))
            && let Some(v) = self.read_rust(t, &name, place, depth)
        {
            return v;
        }
        let mut fields = Vec::new();
        for (fname, m) in members(t) {
            if self.budget == 0 {
                fields.push((fname, VarValue::Elided));
                break;
            }
            let v = self.read_member(&t.cu, &m, place, depth);
            fields.push((fname, v));
        }
        VarValue::Struct { fields }
    }

    pub(super) fn read_member(
        &mut self,
        cu: &Arc<Cu>,
        m: &Die,
        place: &Place,
        depth: usize,
    ) -> VarValue {
        let ty = type_of(cu, m);
        let offset = member_offset(cu, m);
        if let Some(bits) = m
            .attr_value(gimli::DW_AT_bit_size)
            .and_then(|v| v.udata_value())
        {
            return self.read_bitfield(m, ty.as_ref(), offset, bits, place);
        }
        self.read(ty.as_ref(), &sub_place(place, offset), depth + 1)
    }

    pub(super) fn read_bitfield(
        &mut self,
        m: &Die,
        ty: Option<&Ty>,
        offset: u64,
        bits: u64,
        place: &Place,
    ) -> VarValue {
        if bits == 0 || bits > 64 {
            return VarValue::Unavailable("bitfield too wide".to_string());
        }
        let (byte, shift) = if let Some(dbo) = m
            .attr_value(gimli::DW_AT_data_bit_offset)
            .and_then(|v| v.udata_value())
        {
            (dbo / 8, dbo % 8)
        } else if let Some(bo) = m
            .attr_value(gimli::DW_AT_bit_offset)
            .and_then(|v| v.udata_value())
        {
            // DWARF 2/3: bit_offset counts from the storage unit's most significant bit.
            let storage = m
                .attr_value(gimli::DW_AT_byte_size)
                .and_then(|v| v.udata_value())
                .or_else(|| ty.and_then(|t| byte_size(t, 0)))
                .unwrap_or(4);
            (offset, storage.saturating_mul(8).saturating_sub(bo + bits))
        } else {
            (offset, 0)
        };
        if shift >= 64 {
            return VarValue::Unavailable("bitfield offset out of range".to_string());
        }
        let n = ((shift + bits).div_ceil(8)) as usize;
        let raw = match self.bytes(place, byte, n.min(16)) {
            Ok(b) => le_uint(&b),
            Err(v) => return v,
        };
        let v = (raw >> shift) & ((1u128 << bits) - 1);
        let signed = ty.and_then(strip).is_some_and(|(_, b)| {
            matches!(
                b.attr_value(gimli::DW_AT_encoding),
                Some(AttributeValue::Encoding(
                    gimli::DW_ATE_signed | gimli::DW_ATE_signed_char
                ))
            )
        });
        if signed {
            VarValue::Int(sign_extend(v, bits as u32))
        } else {
            VarValue::UInt(v)
        }
    }

    /// Rust's standard containers and enums; `None` when `t` is a plain struct.
    pub(super) fn read_rust(
        &mut self,
        t: &Ty,
        name: &str,
        place: &Place,
        depth: usize,
    ) -> Option<VarValue> {
        let cu = &t.cu;
        let ms = members(t);
        let member = |n: &str| ms.iter().find(|(mn, _)| mn == n).map(|(_, e)| e.clone());
        if name == "&str" || name == "&mut str" {
            let (ptr, len) = self.ptr_len(cu, &member("data_ptr")?, &member("length")?, place)?;
            return Some(match read_bytes_capped(self.frame, ptr, len) {
                Some((b, cut)) => VarValue::Text(lossy(&b, cut)),
                None => VarValue::Unavailable(format!("cannot read memory at {ptr:#x}")),
            });
        }
        if name.starts_with("&[") || name.starts_with("&mut [") {
            let data = member("data_ptr")?;
            let (ptr, len) = self.ptr_len(cu, &data, &member("length")?, place)?;
            let elem = type_of(cu, &data).and_then(|p| {
                let pe = entry(&p)?;
                type_of(&p.cu, &pe)
            });
            return Some(match self.read_seq(elem.as_ref(), ptr, len, depth) {
                Ok(elements) => VarValue::Slice { elements, len },
                Err(v) => v,
            });
        }
        let base = name.rsplit("::").next().unwrap_or(name);
        if base == "String"
            && let Some(vec) = member("vec")
        {
            let (vec_t, _) = strip(&type_of(cu, &vec)?)?;
            let (ptr, len) = self.vec_parts(&vec_t, &sub_place(place, member_offset(cu, &vec)))?;
            return Some(match read_bytes_capped(self.frame, ptr, len) {
                Some((b, cut)) => VarValue::Text(lossy(&b, cut)),
                None => VarValue::Unavailable(format!("cannot read memory at {ptr:#x}")),
            });
        }
        if name.starts_with("Vec<") || name.starts_with("alloc::vec::Vec<") {
            let elem = template_param(t, "T");
            let (ptr, len) = self.vec_parts(t, place)?;
            return Some(match self.read_seq(elem.as_ref(), ptr, len, depth) {
                Ok(elements) => VarValue::Vec { elements, len },
                Err(v) => v,
            });
        }
        let parts = child_entries(t, gimli::DW_TAG_variant_part);
        if let Some(vp) = parts.first() {
            return Some(self.read_rust_enum(cu, vp, place, depth));
        }
        None
    }

    pub(super) fn ptr_len(
        &mut self,
        cu: &Cu,
        data: &Die,
        length: &Die,
        place: &Place,
    ) -> Option<(u64, u64)> {
        let asz = cu.address_size() as usize;
        let ptr = le_uint(&place_bytes(
            self.frame,
            place,
            member_offset(cu, data),
            asz,
        )?) as u64;
        let len = le_uint(&place_bytes(
            self.frame,
            place,
            member_offset(cu, length),
            asz,
        )?) as u64;
        Some((ptr, len))
    }

    /// (data pointer, len) of a `Vec`: `len` is a member, the pointer is the
    /// first pointer found inside `buf` (RawVec's layout changes across releases).
    pub(super) fn vec_parts(&mut self, vec_t: &Ty, place: &Place) -> Option<(u64, u64)> {
        let cu = &vec_t.cu;
        let ms = members(vec_t);
        let len_m = ms.iter().find(|(n, _)| n == "len")?.1.clone();
        let asz = cu.address_size() as usize;
        let len = le_uint(&place_bytes(
            self.frame,
            place,
            member_offset(cu, &len_m),
            asz,
        )?) as u64;
        let buf = ms.iter().find(|(n, _)| n == "buf")?.1.clone();
        let ptr_off = find_pointer(&type_of(cu, &buf)?, 0)?.checked_add(member_offset(cu, &buf))?;
        let ptr = le_uint(&place_bytes(self.frame, place, ptr_off, asz)?) as u64;
        Some((ptr, len))
    }

    pub(super) fn read_seq(
        &mut self,
        elem: Option<&Ty>,
        ptr: u64,
        len: u64,
        depth: usize,
    ) -> Result<Vec<VarValue>, VarValue> {
        let elem = elem.ok_or_else(|| VarValue::Unavailable("element type unknown".to_string()))?;
        let size = byte_size(elem, 0)
            .ok_or_else(|| VarValue::Unavailable("element size unknown".to_string()))?;
        let mut out = Vec::new();
        for i in 0..len.min(MAX_ELEMENTS) {
            if self.budget == 0 {
                break;
            }
            out.push(self.read(
                Some(elem),
                &Place::Memory(ptr.wrapping_add(i.saturating_mul(size))),
                depth + 1,
            ));
        }
        Ok(out)
    }

    pub(super) fn read_rust_enum(
        &mut self,
        cu: &Arc<Cu>,
        vp: &Die,
        place: &Place,
        depth: usize,
    ) -> VarValue {
        // The discriminant member, if any (a single-variant enum has none).
        let discr = match vp.attr_value(gimli::DW_AT_discr) {
            Some(v) => cu.resolve(v).and_then(|d| entry(&d)),
            None => None,
        };
        let discr_size = discr
            .as_ref()
            .and_then(|d| type_of(cu, d))
            .and_then(|t| byte_size(&t, 0))
            .unwrap_or(4)
            .clamp(1, 16);
        let discr_value = discr.as_ref().and_then(|d| {
            let b = place_bytes(self.frame, place, member_offset(cu, d), discr_size as usize)?;
            Some(le_uint(&b))
        });
        let vp_t = Ty {
            cu: cu.clone(),
            off: vp.offset(),
        };
        let mask = if discr_size >= 16 {
            u128::MAX
        } else {
            (1u128 << (8 * discr_size)) - 1
        };
        let mut chosen = None;
        let mut default = None;
        for v in child_entries(&vp_t, gimli::DW_TAG_variant) {
            match v.attr_value(gimli::DW_AT_discr_value) {
                Some(dv) => {
                    let dv = dv
                        .udata_value()
                        .or_else(|| dv.sdata_value().map(|s| s as u64));
                    // Compare in the discriminant's width.
                    if let (Some(dv), Some(actual)) = (dv, discr_value)
                        && (dv as u128) & mask == actual & mask
                    {
                        chosen = Some(v);
                        break;
                    }
                }
                None => default = Some(v),
            }
        }
        let Some(variant) = chosen.or(default) else {
            return VarValue::Unavailable("unknown enum variant".to_string());
        };
        let variant_t = Ty {
            cu: cu.clone(),
            off: variant.offset(),
        };
        let Some((vname, vmember)) = members(&variant_t).into_iter().next() else {
            return VarValue::Unavailable("empty enum variant".to_string());
        };
        let vplace = sub_place(place, member_offset(cu, &vmember));
        let mut fields = Vec::new();
        if let Some((vt, _)) = type_of(cu, &vmember).and_then(|t| strip(&t)) {
            for (fname, m) in members(&vt) {
                let v = self.read_member(&vt.cu, &m, &vplace, depth + 1);
                fields.push((fname, v));
            }
        }
        VarValue::Variant {
            name: vname,
            fields,
        }
    }
}
