/**
 * Run-time values of the probe script language, with SystemTap's semantics: 64-bit integers that
 * wrap, strings bounded by {@link org.fleettap.agent.runtime.StapString#MAX_STRING_LEN}, associative
 * arrays ({@link org.fleettap.agent.runtime.StapMap}), mergeable statistics ({@link
 * org.fleettap.agent.runtime.Stat}) with {@code @hist_log}/{@code @hist_linear} printed byte for byte
 * as stap prints them, compiled {@code printf} formats ({@link org.fleettap.agent.runtime.StapFormat}),
 * {@code thread_indent} and the end-of-session display of unread globals.
 *
 * <p>Everything here is pure (no I/O, no clock): time, thread ids and process names are passed in.
 * Objects are not thread-safe; each belongs to one handler thread, and per-thread or per-host partial
 * statistics are combined with {@link org.fleettap.agent.runtime.Stat#merge}.
 *
 * <p>Formats were derived from SystemTap 4.8's own sources: {@code runtime/stat-common.c}
 * (histograms), {@code runtime/vsprintf.c} (printf), {@code runtime/map.c} (foreach sorting),
 * {@code runtime/runtime_defines.h} (limits), {@code tapset/indent.stp} (thread_indent), and the
 * translator's {@code staptree.cxx} (format parsing) and {@code elaborate.cxx}
 * ({@code add_global_var_display}).
 */
package org.fleettap.agent.runtime;
