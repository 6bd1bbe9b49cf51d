package org.fleettap.agent.transport;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.fleettap.proto.v1.Batch;

/**
 * A batch as the spool holds it: its key and its serialized {@code Batch}, checked against the
 * record's checksum but not parsed. The links send these bytes as they are (the gRPC stream through
 * a byte marshaller, Kafka as the record's value), so a batch is serialized once, when it is
 * spooled, and never parsed on the agent: parsing and re-serializing every batch was almost half
 * of the agent's sending cost.
 *
 * <p>The bytes are a view of a buffer the spool read for this batch alone; nothing else writes it.
 */
final class SpooledBatch {
    private final BatchKey key;
    private final byte[] buffer;
    private final int offset;
    private final int length;

    SpooledBatch(BatchKey key, byte[] buffer, int offset, int length) {
        this.key = Objects.requireNonNull(key, "key");
        this.buffer = Objects.requireNonNull(buffer, "buffer");
        Objects.checkFromIndexSize(offset, length, buffer.length);
        this.offset = offset;
        this.length = length;
    }

    BatchKey key() {
        return key;
    }

    /** Size of the serialized batch in bytes. */
    int length() {
        return length;
    }

    /** The serialized batch, read-only. */
    ByteBuffer bytes() {
        return ByteBuffer.wrap(buffer, offset, length).slice().asReadOnlyBuffer();
    }

    /** The serialized batch as a stream that gRPC can size and copy in one go. */
    InputStream stream() {
        return new BytesStream(buffer, offset, length);
    }

    /** A copy of the serialized batch. */
    byte[] toByteArray() {
        byte[] b = new byte[length];
        System.arraycopy(buffer, offset, b, 0, length);
        return b;
    }

    /** Parses the batch (the spool checked that it parses when it was appended or recovered). */
    Batch parse() throws InvalidProtocolBufferException {
        return Batch.parseFrom(bytes());
    }

    @Override
    public String toString() {
        return key + " (" + length + " bytes)";
    }

    /**
     * gRPC asks a message stream for its length ({@link io.grpc.KnownLength}) to frame it without
     * buffering it first, and lets it write itself out at once ({@link io.grpc.Drainable}).
     */
    private static final class BytesStream extends ByteArrayInputStream implements io.grpc.KnownLength,
            io.grpc.Drainable {
        BytesStream(byte[] buffer, int offset, int length) {
            super(buffer, offset, length);
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            int n = count - pos;
            target.write(buf, pos, n);
            pos = count;
            return n;
        }
    }
}
