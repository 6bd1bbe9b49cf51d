package org.fleettap.collector.auth;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the access checks refused, counted by (service, reason) so that an admin can tell a misconfigured agent (wrong
 * certificate kind, wrong host) from a user without a token, and logged at most once per {@link #LOG_INTERVAL_NANOS}
 * for each (service, reason), with how many were not logged since: a client retrying in a loop cannot flood the log.
 * Thread-safe.
 */
public final class Refusals {
    private static final Logger log = LoggerFactory.getLogger(Refusals.class);
    static final long LOG_INTERVAL_NANOS = 10_000_000_000L;

    /** Why a call (or a batch) was refused. */
    public enum Reason {
        /** No TLS session or no client certificate. */
        NO_CERTIFICATE,
        /** A user certificate on an agent method, or the other way round, or an unknown OU. */
        WRONG_CERTIFICATE_KIND,
        /** No {@code authorization: Bearer} metadata on a user method. */
        NO_TOKEN,
        /** A token tokens.yaml does not list. */
        UNKNOWN_TOKEN,
        /** A listed token of a user other than the certificate's CN. */
        TOKEN_OF_ANOTHER_USER,
        /** The user's role is below the method's. */
        ROLE_TOO_LOW,
        /** A bound agent certificate acting as another host. */
        WRONG_HOST,
        /** A method not in the access table (served by nobody's role). */
        UNKNOWN_METHOD;

        /** As counted and shown: {@code role-too-low}. */
        public String word() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** A counter's key. */
    public record Key(String service, Reason reason) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = service.compareTo(o.service);
            return c != 0 ? c : reason.compareTo(o.reason);
        }
    }

    private static final class Counter {
        final AtomicLong count = new AtomicLong();
        final AtomicLong loggedAt = new AtomicLong(Long.MIN_VALUE);
        final AtomicLong unlogged = new AtomicLong();
    }

    private final Map<Key, Counter> counters = new ConcurrentHashMap<>();
    private final LongSupplier nanoTime;

    public Refusals() {
        this(System::nanoTime);
    }

    Refusals(LongSupplier nanoTime) {
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    }

    /**
     * Counts one refusal of {@code service}'s call for {@code reason} and logs {@code description}, unless one of the
     * same (service, reason) was logged less than {@link #LOG_INTERVAL_NANOS} ago.
     *
     * @return whether it was logged
     */
    public boolean refused(String service, Reason reason, String description) {
        Counter c = counters.computeIfAbsent(new Key(service, reason), k -> new Counter());
        c.count.incrementAndGet();
        long now = nanoTime.getAsLong();
        long last = c.loggedAt.get();
        if ((last == Long.MIN_VALUE || now - last >= LOG_INTERVAL_NANOS) && c.loggedAt.compareAndSet(last, now)) {
            long skipped = c.unlogged.getAndSet(0);
            log.warn("refused a call to {} ({}): {}{}", service, reason.word(), description,
                    skipped == 0 ? "" : " (" + skipped + " more refusals of this kind not logged)");
            return true;
        }
        c.unlogged.incrementAndGet();
        return false;
    }

    /** The counts so far, by service and reason, only those above 0. */
    public SortedMap<Key, Long> counts() {
        SortedMap<Key, Long> out = new TreeMap<>();
        counters.forEach((k, c) -> out.put(k, c.count.get()));
        return out;
    }

    /** All refusals so far. */
    public long total() {
        return counters.values().stream().mapToLong(c -> c.count.get()).sum();
    }
}
