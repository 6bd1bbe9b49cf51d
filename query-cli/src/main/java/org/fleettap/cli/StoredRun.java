package org.fleettap.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.fleettap.agent.compiler.CompiledScript;
import org.fleettap.agent.daemon.HostFacts;
import org.fleettap.agent.export.Exporter;
import org.fleettap.agent.export.OutputLines;
import org.fleettap.agent.probe.ProbeException;
import org.fleettap.agent.session.Session;
import org.fleettap.collector.local.LocalRun;
import org.fleettap.collector.local.LocalStore;
import org.fleettap.collector.local.LocalStoreException;
import org.fleettap.collector.store.ApplyResult;
import org.fleettap.collector.store.StoreException;
import org.fleettap.proto.v1.AckStatus;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.SessionState;

/**
 * A local run's results going into a {@link LocalStore} while it runs, so that they can be queried afterwards: the
 * agent's {@link Exporter} turns what the script recorded and printed in each interval into batches (the last also
 * carries the events lost), which the store applies as a collector applies an agent's, under a session of this
 * host that keeps the script, the command and how the run ended. The script's output still goes where it went
 * (stdout or -o FILE), byte for byte; a copy of it is stored.
 *
 * <p>Storing never stops a run: when the store cannot write, one warning says so, nothing more is stored, and
 * {@link #failed()} says so. Used on the thread that runs the session.
 */
final class StoredRun implements AutoCloseable {
    private final LocalStore store;
    private final PrintStream err;
    private final OutputLines lines = new OutputLines();
    private LocalRun run;
    private Exporter exporter;
    private boolean failed;
    /** What the session last said it lost, and whether it has ended (see {@link #lostSoFar}). */
    private long lastLost;
    private boolean ended;

    private StoredRun(LocalStore store, PrintStream err) {
        this.store = store;
        this.err = err;
    }

    /** Opens (or creates) the store in {@code dir}; warnings go to {@code err}. */
    static StoredRun open(Path dir, PrintStream err) throws LocalStoreException {
        return new StoredRun(LocalStore.create(dir, Clock.systemUTC()), err);
    }

    /** What the script prints to: {@code out}, with a copy of every byte kept for the store. */
    PrintStream scriptOutput(PrintStream out) {
        PrintStream copy = lines.stream();
        return new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                out.write(b);
                copy.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                out.write(b, off, len);
                copy.write(b, off, len);
            }

            @Override
            public void flush() {
                out.flush();
            }
        }, true);
    }

    /**
     * Records the session ({@code spec}: what runs; its id, start and host are set here) and exports what
     * {@code compiled} records every {@code interval} while {@code session} runs. Call before the session runs.
     *
     * @return the session id; null when the store could not record it (warned about; nothing is stored)
     */
    String start(SessionSpec spec, CompiledScript compiled, Session session, Duration interval) {
        try {
            run = store.startRun(spec, hostId(), HostFacts.kernelVersion());
        } catch (StoreException e) {
            warn(e);
            return null;
        }
        exporter = new Exporter(run.hostId(), run.sessionId(), compiled.export(), lines, this::store,
                () -> System.currentTimeMillis() * 1_000_000L, () -> lostSoFar(session));
        exporter.attach(session, interval);
        return run.sessionId();
    }

    /**
     * The last export (what the script did and printed since the previous one, the end-of-run display included),
     * then the session's end: STOPPED with {@code reason}, or FAILED when {@code failure} is not null.
     */
    void finish(String reason, Exception failure) {
        if (run == null) {
            return;
        }
        ended = true;
        exporter.finish();
        if (!failed) {
            try {
                run.end(failure == null ? SessionState.SESSION_STATE_STOPPED : SessionState.SESSION_STATE_FAILED,
                        failure == null ? reason : String.valueOf(failure.getMessage()));
            } catch (StoreException e) {
                warn(e);
            }
        }
    }

    /** True when something could not be stored. */
    boolean failed() {
        return failed;
    }

    Path directory() {
        return store.directory();
    }

    private void store(Batch batch) {
        if (failed) {
            return;
        }
        try {
            ApplyResult r = run.apply(batch);
            if (r.status() != AckStatus.ACK_STATUS_APPLIED) {
                warn("the store refused batch " + batch.getSequence() + ": " + r.error());
            }
        } catch (StoreException e) {
            warn(e);
        }
    }

    private void warn(StoreException e) {
        warn(e.getMessage());
    }

    private void warn(String what) {
        failed = true;
        err.println("fleettap: warning: the rest of this run is not stored: " + what);
    }

    /** This host's name, as an agent here would call it. */
    private static String hostId() {
        try {
            return HostFacts.defaultHostId();
        } catch (IllegalStateException e) {
            return "localhost";
        }
    }

    /**
     * The events lost, for the exporter, which stores the increases of this count: 0 while the session runs, then
     * what it said at its last export. Only that one is exact: while it runs, the session counts events still in
     * the ring buffers as missed until they are read (so its count goes down as well as up), and once it has
     * detached it says 0; its last export comes after the buffers were drained, before it detaches. Nobody can read
     * the store before the run ends, so nothing is lost by storing the losses only at the end.
     */
    private long lostSoFar(Session s) {
        if (!ended) {
            try {
                lastLost = s.lost();
            } catch (ProbeException e) {
                // Keep the last count.
            }
            return 0;
        }
        return lastLost;
    }

    @Override
    public void close() {
        store.close();
    }
}
