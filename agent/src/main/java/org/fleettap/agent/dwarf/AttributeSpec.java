package org.fleettap.agent.dwarf;

/** One attribute of an abbreviation: its name, its form and, for DW_FORM_implicit_const, its value. */
record AttributeSpec(int attribute, int form, long implicitConst) {
}
