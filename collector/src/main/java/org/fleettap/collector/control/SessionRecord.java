package org.fleettap.collector.control;

import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.fleettap.proto.v1.CompileErrors;
import org.fleettap.proto.v1.SessionInfo;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.SessionState;
import org.fleettap.proto.v1.SessionStatus;

/**
 * One session as the collector knows it: the spec it pushes, the hosts it pushed it to, the latest status and the
 * compile errors each host reported, and whether it was stopped (StopSession) and has ended (every host it was
 * pushed to is done with it). Immutable; maps and sets are sorted by host id.
 *
 * @param stoppedUnixNanos when StopSession was called; 0 while not stopped
 * @param endedUnixNanos   when the collector found the session ended; 0 while it has not
 * @param completeHosts    the hosts whose final batch the collector has applied: their figures are complete
 * @param startedBy        the user who started it ({@code anonymous} without access checks); empty when unknown
 */
public record SessionRecord(SessionSpec spec, SortedSet<String> pushedHosts, SortedMap<String, SessionStatus> statuses,
        SortedMap<String, CompileErrors> compileErrors, long stoppedUnixNanos, String stopReason, long endedUnixNanos,
        String endReason, SortedSet<String> completeHosts, String startedBy) {
    public SessionRecord {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(stopReason, "stopReason");
        Objects.requireNonNull(endReason, "endReason");
        Objects.requireNonNull(startedBy, "startedBy");
        pushedHosts = Collections.unmodifiableSortedSet(new TreeSet<>(pushedHosts));
        statuses = Collections.unmodifiableSortedMap(new TreeMap<>(statuses));
        compileErrors = Collections.unmodifiableSortedMap(new TreeMap<>(compileErrors));
        completeHosts = Collections.unmodifiableSortedSet(new TreeSet<>(completeHosts));
    }

    /** A session just created by {@code startedBy}: pushed nowhere, nothing reported. */
    public static SessionRecord created(SessionSpec spec, String startedBy) {
        return new SessionRecord(spec, new TreeSet<>(), new TreeMap<>(), new TreeMap<>(), 0, "", 0, "",
                new TreeSet<>(), startedBy);
    }

    public String id() {
        return spec.getSessionId();
    }

    public boolean isStopped() {
        return stoppedUnixNanos != 0;
    }

    public boolean isEnded() {
        return endedUnixNanos != 0;
    }

    /** True when {@code hostId}'s latest status says the session is over there (stopped, failed, or lost). */
    public boolean isDoneOn(String hostId) {
        SessionStatus s = statuses.get(hostId);
        return s != null && isTerminal(s.getState());
    }

    /** True when the collector lost contact with {@code hostId} while it ran the session. */
    public boolean isLostOn(String hostId) {
        SessionStatus s = statuses.get(hostId);
        return s != null && s.getState() == SessionState.SESSION_STATE_LOST;
    }

    static boolean isTerminal(SessionState state) {
        return state == SessionState.SESSION_STATE_STOPPED || state == SessionState.SESSION_STATE_FAILED
                || state == SessionState.SESSION_STATE_LOST;
    }

    SessionRecord withPushed(String hostId) {
        TreeSet<String> hosts = new TreeSet<>(pushedHosts);
        hosts.add(hostId);
        return new SessionRecord(spec, hosts, statuses, compileErrors, stoppedUnixNanos, stopReason,
                endedUnixNanos, endReason, completeHosts, startedBy);
    }

    SessionRecord withStatus(SessionStatus status) {
        TreeMap<String, SessionStatus> s = new TreeMap<>(statuses);
        s.put(status.getHostId(), status);
        return new SessionRecord(spec, pushedHosts, s, compileErrors, stoppedUnixNanos, stopReason,
                endedUnixNanos, endReason, completeHosts, startedBy);
    }

    SessionRecord withCompileErrors(CompileErrors errors) {
        TreeMap<String, CompileErrors> e = new TreeMap<>(compileErrors);
        e.put(errors.getHostId(), errors);
        return new SessionRecord(spec, pushedHosts, statuses, e, stoppedUnixNanos, stopReason,
                endedUnixNanos, endReason, completeHosts, startedBy);
    }

    SessionRecord withStopped(long unixNanos, String reason) {
        return new SessionRecord(spec, pushedHosts, statuses, compileErrors, unixNanos, reason, endedUnixNanos,
                endReason, completeHosts, startedBy);
    }

    SessionRecord withEnded(long unixNanos, String reason) {
        return new SessionRecord(spec, pushedHosts, statuses, compileErrors, stoppedUnixNanos, stopReason, unixNanos,
                reason, completeHosts, startedBy);
    }

    SessionRecord withComplete(String hostId) {
        TreeSet<String> hosts = new TreeSet<>(completeHosts);
        hosts.add(hostId);
        return new SessionRecord(spec, pushedHosts, statuses, compileErrors, stoppedUnixNanos, stopReason,
                endedUnixNanos, endReason, hosts, startedBy);
    }

    /** The session as QueryService.ListSessions shows it. */
    public SessionInfo toInfo() {
        return SessionInfo.newBuilder().setSpec(spec).addAllStatuses(statuses.values())
                .addAllCompileErrors(compileErrors.values()).addAllPushedHostIds(pushedHosts)
                .setStoppedUnixNanos(stoppedUnixNanos).setStopReason(stopReason).setEndedUnixNanos(endedUnixNanos)
                .setEndReason(endReason).addAllCompleteHostIds(completeHosts).setStartedBy(startedBy).build();
    }
}
