package org.fleettap.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGINT and SIGTERM ask the running command to stop: the main thread then prints its results and detaches
 * everything on its normal path. Closing restores the previous handlers.
 */
final class StopSignals implements AutoCloseable {
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final SignalHandler previousInt;
    private final SignalHandler previousTerm;

    private StopSignals() {
        SignalHandler handler = sig -> stopped.countDown();
        previousInt = Signal.handle(new Signal("INT"), handler);
        previousTerm = Signal.handle(new Signal("TERM"), handler);
    }

    static StopSignals install() {
        return new StopSignals();
    }

    boolean stopped() {
        return stopped.getCount() == 0;
    }

    void await(long millis) throws InterruptedException {
        stopped.await(millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        Signal.handle(new Signal("INT"), previousInt);
        Signal.handle(new Signal("TERM"), previousTerm);
    }
}
