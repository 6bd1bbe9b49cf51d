package org.fleettap.agent.dwarf;

/**
 * One entry of a line-table header's file table.
 *
 * @param name the name as written in the table (often a base name)
 * @param directory the directory index it names (DWARF 5: into the 0-based directory table; earlier: 0 is the
 *     compilation directory, 1.. the include directories)
 * @param path the name joined to its directory and, when that is relative, to the compilation directory
 */
record LineFile(String name, long directory, String path) {
}
