package org.fleettap.cli;

import java.io.IOException;
import org.fleettap.agent.elf.ElfFormatException;
import org.fleettap.agent.feature.MissingFeatureException;
import org.fleettap.agent.feature.Privileges;
import org.fleettap.agent.probe.ProbeException;
import org.fleettap.agent.target.TargetException;
import org.fleettap.collector.local.LocalStoreException;
import picocli.CommandLine;

/**
 * Turns a failed command into one line on stderr, "fleettap: WHAT", and exit status 1. Stack traces only with
 * --verbose, and for errors that are bugs rather than bad input.
 */
final class UserErrors implements CommandLine.IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
        boolean verbose = Logging.isVerbose(parsed.originalArgs().toArray(new String[0]));
        if (isUserError(ex)) {
            System.err.println("fleettap: " + ex.getMessage());
            if (verbose) {
                ex.printStackTrace(System.err);
            }
            if (ex instanceof UsageException u) {
                return u.status;
            }
        } else {
            System.err.println("fleettap: internal error: " + ex + (verbose ? "" : " (run with --verbose for details)"));
            if (verbose) {
                ex.printStackTrace(System.err);
            }
        }
        return 1;
    }

    static boolean isUserError(Throwable t) {
        return t instanceof ProbeException || t instanceof TargetException || t instanceof MissingFeatureException
                || t instanceof ElfFormatException || t instanceof IOException
                || t instanceof Privileges.InsufficientPrivilegesException || t instanceof UsageException
                || t instanceof CollectorClient.CollectorException || t instanceof LocalStoreException;
    }

    /** A command-line value that is wrong in a way picocli cannot see. */
    static final class UsageException extends Exception {
        /** The exit status: 1, or 2 for a command line that cannot be run as given. */
        private final int status;

        UsageException(String message) {
            this(message, 1);
        }

        UsageException(String message, int status) {
            super(message);
            this.status = status;
        }
    }
}
