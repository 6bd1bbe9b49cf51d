package org.fleettap.collector.control;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.TreeMap;
import java.util.TreeSet;
import org.fleettap.proto.v1.CompileErrors;
import org.fleettap.proto.v1.RegisterRequest;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.SessionStatus;
import org.fleettap.proto.v1.SpoolStatus;

/**
 * How the store-backed registries keep {@link HostRecord}s and {@link SessionRecord}s: protobuf wire format (so
 * fields can be added the way proto/README.md allows), written and read by hand since the collector has no schema of
 * its own. Unknown fields are skipped. Never renumber these fields: stores hold them.
 *
 * <pre>
 * HostRecord    { 1: RegisterRequest registration; 2: int64 registered_unix_nanos; 3: int64 last_contact_unix_nanos;
 *                 4: SpoolStatus spool }
 * SessionRecord { 1: SessionSpec spec; 2: repeated string pushed_hosts; 3: repeated SessionStatus statuses;
 *                 4: repeated CompileErrors compile_errors; 5: int64 stopped_unix_nanos; 6: string stop_reason;
 *                 7: int64 ended_unix_nanos; 8: string end_reason; 9: repeated string complete_hosts;
 *                 10: string started_by }
 * </pre>
 */
final class RegistryRecords {
    private RegistryRecords() {
    }

    static byte[] encode(HostRecord h) {
        return write(out -> {
            out.writeMessage(1, h.registration());
            out.writeInt64(2, h.registeredUnixNanos());
            out.writeInt64(3, h.lastContactUnixNanos());
            out.writeMessage(4, h.spool());
        });
    }

    static HostRecord decodeHost(String hostId, byte[] bytes) {
        RegisterRequest registration = RegisterRequest.getDefaultInstance();
        long registered = 0;
        long lastContact = 0;
        SpoolStatus spool = SpoolStatus.getDefaultInstance();
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                switch (tag) {
                    case (1 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED ->
                            registration = RegisterRequest.parseFrom(in.readBytes());
                    case (2 << 3) | WireFormat.WIRETYPE_VARINT -> registered = in.readInt64();
                    case (3 << 3) | WireFormat.WIRETYPE_VARINT -> lastContact = in.readInt64();
                    case (4 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> spool = SpoolStatus.parseFrom(in.readBytes());
                    default -> in.skipField(tag);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("stored record of host " + hostId + " is unreadable: " + e.getMessage(), e);
        }
        if (!registration.getHostId().equals(hostId)) {
            throw new IllegalStateException("stored record of host " + hostId + " holds the registration of host '"
                    + registration.getHostId() + "'");
        }
        return new HostRecord(registration, registered, lastContact, spool);
    }

    static byte[] encode(SessionRecord s) {
        return write(out -> {
            out.writeMessage(1, s.spec());
            for (String h : s.pushedHosts()) {
                out.writeString(2, h);
            }
            for (SessionStatus st : s.statuses().values()) {
                out.writeMessage(3, st);
            }
            for (CompileErrors e : s.compileErrors().values()) {
                out.writeMessage(4, e);
            }
            out.writeInt64(5, s.stoppedUnixNanos());
            out.writeString(6, s.stopReason());
            out.writeInt64(7, s.endedUnixNanos());
            out.writeString(8, s.endReason());
            for (String h : s.completeHosts()) {
                out.writeString(9, h);
            }
            if (!s.startedBy().isEmpty()) {
                out.writeString(10, s.startedBy());
            }
        });
    }

    static SessionRecord decodeSession(String sessionId, byte[] bytes) {
        SessionSpec spec = SessionSpec.getDefaultInstance();
        TreeSet<String> pushed = new TreeSet<>();
        TreeMap<String, SessionStatus> statuses = new TreeMap<>();
        TreeMap<String, CompileErrors> errors = new TreeMap<>();
        long stopped = 0;
        String stopReason = "";
        long ended = 0;
        String endReason = "";
        TreeSet<String> complete = new TreeSet<>();
        String startedBy = "";
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                switch (tag) {
                    case (1 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> spec = SessionSpec.parseFrom(in.readBytes());
                    case (2 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> pushed.add(in.readString());
                    case (3 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
                        SessionStatus st = SessionStatus.parseFrom(in.readBytes());
                        statuses.put(st.getHostId(), st);
                    }
                    case (4 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
                        CompileErrors e = CompileErrors.parseFrom(in.readBytes());
                        errors.put(e.getHostId(), e);
                    }
                    case (5 << 3) | WireFormat.WIRETYPE_VARINT -> stopped = in.readInt64();
                    case (6 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> stopReason = in.readString();
                    case (7 << 3) | WireFormat.WIRETYPE_VARINT -> ended = in.readInt64();
                    case (8 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> endReason = in.readString();
                    case (9 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> complete.add(in.readString());
                    case (10 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> startedBy = in.readString();
                    default -> in.skipField(tag);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("stored record of session " + sessionId + " is unreadable: "
                    + e.getMessage(), e);
        }
        if (!spec.getSessionId().equals(sessionId)) {
            throw new IllegalStateException("stored record of session " + sessionId + " holds session '"
                    + spec.getSessionId() + "'");
        }
        return new SessionRecord(spec, pushed, statuses, errors, stopped, stopReason, ended, endReason, complete,
                startedBy);
    }

    private interface Writer {
        void write(CodedOutputStream out) throws IOException;
    }

    private static byte[] write(Writer w) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            w.write(out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("encoding a registry record in memory", e);
        }
    }
}
