package org.fleettap.cli;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where fleettap keeps files by default, under the user's base directories as the XDG rules name them: local runs'
 * results in the data home ({@code $XDG_DATA_HOME}, else {@code ~/.local/share}), an unprivileged agent's state in
 * the state home ({@code $XDG_STATE_HOME}, else {@code ~/.local/state}), each in a {@code fleettap} directory.
 */
final class UserDirs {
    static final String DATA_OPTION_DEFAULT = "$XDG_DATA_HOME/fleettap, else ~/.local/share/fleettap";

    private UserDirs() {
    }

    /** {@code given}, or the default data directory of this process's environment and user. */
    static Path dataOrDefault(Path given) {
        return given != null ? given : defaultData(System.getenv(), System.getProperty("user.home"));
    }

    /** The default data directory for {@code env} and {@code userHome}. */
    static Path defaultData(Map<String, String> env, String userHome) {
        return xdg(env, "XDG_DATA_HOME", userHome, "share");
    }

    /** {@code $VARIABLE/fleettap}, else {@code USERHOME/.local/FALLBACK/fleettap}. */
    static Path xdg(Map<String, String> env, String variable, String userHome, String fallback) {
        String dir = env.get(variable);
        // The XDG rules: a relative path in the variable is invalid and ignored.
        Path base = dir != null && dir.startsWith("/") ? Path.of(dir) : Path.of(userHome, ".local", fallback);
        return base.resolve("fleettap");
    }
}
