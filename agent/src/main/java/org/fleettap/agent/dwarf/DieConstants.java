package org.fleettap.agent.dwarf;

/** DWARF 2–5 numbers for debugging information entries: tags, attributes, forms, encodings, unit and list kinds. */
final class DieConstants {
    private DieConstants() {
    }

    // Unit types (DWARF 5, 7.5.1).
    static final int DW_UT_compile = 0x01;
    static final int DW_UT_type = 0x02;
    static final int DW_UT_partial = 0x03;
    static final int DW_UT_skeleton = 0x04;
    static final int DW_UT_split_compile = 0x05;
    static final int DW_UT_split_type = 0x06;

    // Tags.
    static final int DW_TAG_array_type = 0x01;
    static final int DW_TAG_class_type = 0x02;
    static final int DW_TAG_enumeration_type = 0x04;
    static final int DW_TAG_formal_parameter = 0x05;
    static final int DW_TAG_lexical_block = 0x0b;
    static final int DW_TAG_member = 0x0d;
    static final int DW_TAG_pointer_type = 0x0f;
    static final int DW_TAG_reference_type = 0x10;
    static final int DW_TAG_compile_unit = 0x11;
    static final int DW_TAG_structure_type = 0x13;
    static final int DW_TAG_subroutine_type = 0x15;
    static final int DW_TAG_typedef = 0x16;
    static final int DW_TAG_union_type = 0x17;
    static final int DW_TAG_unspecified_parameters = 0x18;
    static final int DW_TAG_inheritance = 0x1c;
    static final int DW_TAG_inlined_subroutine = 0x1d;
    static final int DW_TAG_ptr_to_member_type = 0x1f;
    static final int DW_TAG_subrange_type = 0x21;
    static final int DW_TAG_base_type = 0x24;
    static final int DW_TAG_const_type = 0x26;
    static final int DW_TAG_enumerator = 0x28;
    static final int DW_TAG_subprogram = 0x2e;
    static final int DW_TAG_variable = 0x34;
    static final int DW_TAG_volatile_type = 0x35;
    static final int DW_TAG_restrict_type = 0x37;
    static final int DW_TAG_namespace = 0x39;
    static final int DW_TAG_unspecified_type = 0x3b;
    static final int DW_TAG_partial_unit = 0x3c;
    static final int DW_TAG_type_unit = 0x41;
    static final int DW_TAG_rvalue_reference_type = 0x42;
    static final int DW_TAG_atomic_type = 0x47;
    static final int DW_TAG_skeleton_unit = 0x4a;

    // Attributes.
    static final int DW_AT_sibling = 0x01;
    static final int DW_AT_location = 0x02;
    static final int DW_AT_name = 0x03;
    static final int DW_AT_byte_size = 0x0b;
    static final int DW_AT_bit_offset = 0x0c;
    static final int DW_AT_bit_size = 0x0d;
    static final int DW_AT_low_pc = 0x11;
    static final int DW_AT_high_pc = 0x12;
    static final int DW_AT_language = 0x13;
    static final int DW_AT_comp_dir = 0x1b;
    static final int DW_AT_const_value = 0x1c;
    static final int DW_AT_inline = 0x20;
    static final int DW_AT_prototyped = 0x27;
    static final int DW_AT_lower_bound = 0x22;
    static final int DW_AT_count = 0x37;
    static final int DW_AT_upper_bound = 0x2f;
    static final int DW_AT_abstract_origin = 0x31;
    static final int DW_AT_artificial = 0x34;
    static final int DW_AT_calling_convention = 0x36;
    static final int DW_AT_data_member_location = 0x38;
    static final int DW_AT_decl_file = 0x3a;
    static final int DW_AT_decl_line = 0x3b;
    static final int DW_AT_declaration = 0x3c;
    static final int DW_AT_encoding = 0x3e;
    static final int DW_AT_external = 0x3f;
    static final int DW_AT_frame_base = 0x40;
    static final int DW_AT_specification = 0x47;
    static final int DW_AT_type = 0x49;
    static final int DW_AT_ranges = 0x55;
    static final int DW_AT_data_bit_offset = 0x6b;
    static final int DW_AT_linkage_name = 0x6e;
    static final int DW_AT_object_pointer = 0x64;
    static final int DW_AT_str_offsets_base = 0x72;
    static final int DW_AT_addr_base = 0x73;
    static final int DW_AT_rnglists_base = 0x74;
    static final int DW_AT_dwo_name = 0x76;
    static final int DW_AT_loclists_base = 0x8c;
    static final int DW_AT_MIPS_linkage_name = 0x2007;
    static final int DW_AT_GNU_addr_base = 0x2133;
    static final int DW_AT_GNU_ranges_base = 0x2132;

    // Forms.
    static final int DW_FORM_addr = 0x01;
    static final int DW_FORM_block2 = 0x03;
    static final int DW_FORM_block4 = 0x04;
    static final int DW_FORM_data2 = 0x05;
    static final int DW_FORM_data4 = 0x06;
    static final int DW_FORM_data8 = 0x07;
    static final int DW_FORM_string = 0x08;
    static final int DW_FORM_block = 0x09;
    static final int DW_FORM_block1 = 0x0a;
    static final int DW_FORM_data1 = 0x0b;
    static final int DW_FORM_flag = 0x0c;
    static final int DW_FORM_sdata = 0x0d;
    static final int DW_FORM_strp = 0x0e;
    static final int DW_FORM_udata = 0x0f;
    static final int DW_FORM_ref_addr = 0x10;
    static final int DW_FORM_ref1 = 0x11;
    static final int DW_FORM_ref2 = 0x12;
    static final int DW_FORM_ref4 = 0x13;
    static final int DW_FORM_ref8 = 0x14;
    static final int DW_FORM_ref_udata = 0x15;
    static final int DW_FORM_indirect = 0x16;
    static final int DW_FORM_sec_offset = 0x17;
    static final int DW_FORM_exprloc = 0x18;
    static final int DW_FORM_flag_present = 0x19;
    static final int DW_FORM_strx = 0x1a;
    static final int DW_FORM_addrx = 0x1b;
    static final int DW_FORM_ref_sup4 = 0x1c;
    static final int DW_FORM_strp_sup = 0x1d;
    static final int DW_FORM_data16 = 0x1e;
    static final int DW_FORM_line_strp = 0x1f;
    static final int DW_FORM_ref_sig8 = 0x20;
    static final int DW_FORM_implicit_const = 0x21;
    static final int DW_FORM_loclistx = 0x22;
    static final int DW_FORM_rnglistx = 0x23;
    static final int DW_FORM_ref_sup8 = 0x24;
    static final int DW_FORM_strx1 = 0x25;
    static final int DW_FORM_strx2 = 0x26;
    static final int DW_FORM_strx3 = 0x27;
    static final int DW_FORM_strx4 = 0x28;
    static final int DW_FORM_addrx1 = 0x29;
    static final int DW_FORM_addrx2 = 0x2a;
    static final int DW_FORM_addrx3 = 0x2b;
    static final int DW_FORM_addrx4 = 0x2c;
    static final int DW_FORM_GNU_addr_index = 0x1f01;
    static final int DW_FORM_GNU_str_index = 0x1f02;
    static final int DW_FORM_GNU_ref_alt = 0x1f20;
    static final int DW_FORM_GNU_strp_alt = 0x1f21;

    // Base type encodings.
    static final int DW_ATE_address = 0x01;
    static final int DW_ATE_boolean = 0x02;
    static final int DW_ATE_complex_float = 0x03;
    static final int DW_ATE_float = 0x04;
    static final int DW_ATE_signed = 0x05;
    static final int DW_ATE_signed_char = 0x06;
    static final int DW_ATE_unsigned = 0x07;
    static final int DW_ATE_unsigned_char = 0x08;
    static final int DW_ATE_UTF = 0x10;

    // Calling conventions of types (DWARF 5).
    static final int DW_CC_pass_by_reference = 0x04;

    // Languages whose struct names print with a "struct " prefix.
    static final int DW_LANG_C89 = 0x01;
    static final int DW_LANG_C = 0x02;
    static final int DW_LANG_C99 = 0x0c;
    static final int DW_LANG_C11 = 0x1d;
    static final int DW_LANG_C17 = 0x2c;

    // Range list entries (.debug_rnglists).
    static final int DW_RLE_end_of_list = 0x00;
    static final int DW_RLE_base_addressx = 0x01;
    static final int DW_RLE_startx_endx = 0x02;
    static final int DW_RLE_startx_length = 0x03;
    static final int DW_RLE_offset_pair = 0x04;
    static final int DW_RLE_base_address = 0x05;
    static final int DW_RLE_start_end = 0x06;
    static final int DW_RLE_start_length = 0x07;

    // Location list entries (.debug_loclists).
    static final int DW_LLE_end_of_list = 0x00;
    static final int DW_LLE_base_addressx = 0x01;
    static final int DW_LLE_startx_endx = 0x02;
    static final int DW_LLE_startx_length = 0x03;
    static final int DW_LLE_offset_pair = 0x04;
    static final int DW_LLE_default_location = 0x05;
    static final int DW_LLE_base_address = 0x06;
    static final int DW_LLE_start_end = 0x07;
    static final int DW_LLE_start_length = 0x08;
    static final int DW_LLE_GNU_view_pair = 0x09;

    /** Whether {@code language} (DW_AT_language) is a C dialect. */
    static boolean isC(long language) {
        return language == DW_LANG_C89 || language == DW_LANG_C || language == DW_LANG_C99
                || language == DW_LANG_C11 || language == DW_LANG_C17;
    }
}
