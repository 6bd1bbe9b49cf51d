package org.fleettap.cli;

import java.nio.file.Path;
import org.fleettap.agent.policy.Policy;
import org.fleettap.agent.policy.PolicyException;
import picocli.CommandLine;

/** The {@code --policy FILE} of {@code agent} and {@code run}: a wrong file is a usage error of that command. */
final class PolicyFile {
    private PolicyFile() {
    }

    /** The policy in {@code file}, {@link Policy#NONE} without one. */
    static Policy read(Path file, CommandLine.Model.CommandSpec command) {
        if (file == null) {
            return Policy.NONE;
        }
        try {
            return Policy.read(file);
        } catch (PolicyException e) {
            throw new CommandLine.ParameterException(command.commandLine(), "policy: " + e.getMessage());
        }
    }
}
