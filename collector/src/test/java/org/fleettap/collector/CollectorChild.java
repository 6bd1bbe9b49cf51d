package org.fleettap.collector;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A collector process for crash tests: {@code CollectorChild DATA_DIR PORT} serves on 127.0.0.1:PORT (0 picks one),
 * prints {@code listening PORT} and runs until its standard input closes (or it is killed).
 */
public final class CollectorChild {
    private CollectorChild() {
    }

    public static void main(String[] args) throws IOException {
        Collector c = new Collector(CollectorConfig.of("127.0.0.1", Integer.parseInt(args[1]), Path.of(args[0])))
                .start();
        System.out.println("listening " + c.port());
        System.out.flush();
        while (System.in.read() >= 0) {
            // until the parent closes the pipe
        }
        c.close();
    }
}
