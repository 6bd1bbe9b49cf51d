package org.fleettap.helm;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code fleettap} command lines the chart's NOTES.txt shows (indented, unlike its prose), split into arguments as a POSIX shell splits
 * them (blanks separate words; single quotes keep everything, line breaks included, literally), so that a test can
 * run each one as a user would paste it.
 */
final class NotesCommands {
    private static final String COMMAND = "fleettap ";

    private NotesCommands() {
    }

    /** Each command's arguments after {@code fleettap}, in the order the notes show them. */
    static List<List<String>> parse(String notes) {
        List<List<String>> commands = new ArrayList<>();
        String[] lines = notes.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            // Commands are indented; prose starts at the margin.
            if (!line.startsWith(COMMAND) || line.equals(lines[i])) {
                continue;
            }
            StringBuilder text = new StringBuilder(line.substring(COMMAND.length()));
            // A quote left open goes on over the next lines.
            while (text.chars().filter(c -> c == '\'').count() % 2 == 1) {
                if (++i == lines.length) {
                    throw new AssertionError("unterminated quote in the notes: fleettap " + text);
                }
                text.append('\n').append(lines[i]);
            }
            commands.add(words(text.toString()));
        }
        return commands;
    }

    private static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        boolean quoted = false;
        for (char c : text.toCharArray()) {
            if (c == '\'') {
                quoted = !quoted;
                word = word == null ? new StringBuilder() : word;
            } else if (!quoted && (c == ' ' || c == '\t')) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
            } else {
                word = (word == null ? new StringBuilder() : word).append(c);
            }
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }
}
