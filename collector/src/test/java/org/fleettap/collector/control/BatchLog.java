package org.fleettap.collector.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.fleettap.aggregate.InvalidAggregateException;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.proto.v1.AggregateDelta;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.OutputLine;

/** The batches an agent daemon handed to its transport, with waits for what the test expects in them. */
final class BatchLog implements Consumer<Batch> {
    private final Object lock = new Object();
    private final List<Batch> batches = new CopyOnWriteArrayList<>();

    @Override
    public void accept(Batch b) {
        synchronized (lock) {
            batches.add(b);
            lock.notifyAll();
        }
    }

    List<Batch> of(String sessionId) {
        return batches.stream().filter(b -> b.getSessionId().equals(sessionId)).toList();
    }

    /** Waits until a batch of the session carries the output line {@code text}. */
    void awaitOutput(String sessionId, String text) throws InterruptedException {
        await("output line '" + text + "' of session " + sessionId, () -> of(sessionId).stream()
                .flatMap(b -> b.getOutputList().stream()).map(OutputLine::getText).anyMatch(text::equals));
    }

    /** Waits until the session has sent {@code n} final batches (one per run on this host). */
    void awaitFinal(String sessionId, int n) throws InterruptedException {
        await(n + " final batches of session " + sessionId,
                () -> of(sessionId).stream().filter(Batch::getFinalBatch).count() >= n);
    }

    /** The session's statistic {@code name} merged over every batch. */
    MergeableAggregate merged(String sessionId, String name) throws InvalidAggregateException {
        MergeableAggregate total = new MergeableAggregate();
        for (Batch b : of(sessionId)) {
            for (AggregateDelta d : b.getAggregatesList()) {
                if (d.getName().equals(name)) {
                    total.merge(MergeableAggregate.fromProto(d.getAggregate()));
                }
            }
        }
        return total;
    }

    private void await(String what, java.util.function.BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        synchronized (lock) {
            while (!done.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                assertThat(left).as("waiting for %s", what).isPositive();
                lock.wait(Math.max(1, left / 1_000_000));
            }
        }
    }
}
