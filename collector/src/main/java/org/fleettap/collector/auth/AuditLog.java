package org.fleettap.collector.auth;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.fleettap.collector.store.Store;
import org.fleettap.collector.store.StoreException;
import org.fleettap.proto.v1.AuditEntry;
import org.fleettap.proto.v1.ListAuditRequest;
import org.fleettap.proto.v1.ListAuditResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's audit log, kept in its {@link Store} so that who started and stopped which session, and which
 * operator or admin requests were refused, outlives the process and can be read with AdminService.ListAudit. Entries
 * are stamped with the collector's clock when appended; an entry that cannot be written is logged as an error and
 * does not fail the call it records (the call has happened).
 */
public final class AuditLog {
    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);
    /** Entries ListAudit returns when the request sets no limit, and the most it ever returns. */
    public static final int DEFAULT_LIMIT = 1000;
    public static final int MAX_LIMIT = 10_000;

    private final Store store;
    private final Clock clock;
    private final boolean insecure;

    /** @param insecure the collector checks nobody: every entry says so */
    public AuditLog(Store store, Clock clock, boolean insecure) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.insecure = insecure;
    }

    /** Stamps {@code entry} with the time and appends it. */
    public void append(AuditEntry.Builder entry) {
        Instant now = clock.instant();
        AuditEntry e = entry.setTimeUnixNanos(now.getEpochSecond() * 1_000_000_000L + now.getNano())
                .setInsecure(insecure).build();
        try {
            store.appendAudit(e);
        } catch (StoreException | IllegalStateException ex) {
            log.error("could not write the audit entry {} {} by {}: {}", e.getAction(), e.getSessionId(), e.getUser(),
                    e.getOutcome(), ex);
        }
    }

    /** The entries {@code request} asks for, oldest first. */
    public ListAuditResponse list(ListAuditRequest request) {
        if (request.getSinceUnixNanos() < 0 || request.getUntilUnixNanos() < 0) {
            throw new IllegalArgumentException("since_unix_nanos and until_unix_nanos must not be negative");
        }
        int limit = request.getLimit() == 0 ? DEFAULT_LIMIT : Math.min(request.getLimit(), MAX_LIMIT);
        List<AuditEntry> entries = store.audit(request.getSinceUnixNanos(), request.getUntilUnixNanos(), limit + 1);
        boolean truncated = entries.size() > limit;
        return ListAuditResponse.newBuilder().addAllEntries(truncated ? entries.subList(0, limit) : entries)
                .setTruncated(truncated).build();
    }
}
