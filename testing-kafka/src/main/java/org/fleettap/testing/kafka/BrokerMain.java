package org.fleettap.testing.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * The main class of the broker's child JVM (never loaded in the test JVM).
 *
 * <pre>BrokerMain SERVER_PROPERTIES [--format CLUSTER_ID]</pre>
 *
 * <p>With {@code --format} it first formats the (empty) log directories for the cluster id, as
 * {@code kafka-storage.sh format -t CLUSTER_ID -c SERVER_PROPERTIES} does, then runs the broker as
 * {@code kafka-server-start.sh SERVER_PROPERTIES} does. Without it, the directories must already be formatted
 * (a restart: formatting again would hide lost data).
 *
 * <p>The broker dies with its parent: a thread reads standard input, which is a pipe from the test JVM, and
 * halts this JVM when it reaches end of file, which happens when the parent exits by any path, SIGKILL
 * included.
 */
final class BrokerMain {

    /** The exit status when the parent went away. */
    static final int ORPHANED = 3;

    private BrokerMain() {
    }

    public static void main(String[] args) {
        if (args.length != 1 && !(args.length == 3 && args[1].equals("--format"))) {
            System.err.println("usage: BrokerMain SERVER_PROPERTIES [--format CLUSTER_ID], got "
                    + Arrays.toString(args));
            System.exit(2);
        }
        watchParent();
        String serverProperties = args[0];
        if (args.length == 3) {
            String[] format = {"format", "--cluster-id", args[2], "--config", serverProperties};
            int status = kafka.tools.StorageTool.execute(format, System.out);
            if (status != 0) {
                System.err.println("fleettap: formatting the log directories failed with status " + status);
                System.exit(1);
            }
        }
        kafka.Kafka.main(new String[] {serverProperties});
    }

    private static void watchParent() {
        Thread watcher = new Thread(() -> {
            InputStream in = System.in;
            byte[] buffer = new byte[64];
            try {
                while (in.read(buffer) >= 0) {
                    // the parent writes nothing; anything it did write is ignored
                }
            } catch (IOException e) {
                // a broken pipe means the same as end of file
            }
            System.err.println("fleettap: standard input closed, the test JVM is gone: halting the broker");
            System.err.flush();
            Runtime.getRuntime().halt(ORPHANED);
        }, "fleettap-parent-watcher");
        watcher.setDaemon(true);
        watcher.start();
    }
}
