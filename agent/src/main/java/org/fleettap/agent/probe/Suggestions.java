package org.fleettap.agent.probe;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/** The names closest to a misspelt one (edit distance), for "did you mean" hints. */
final class Suggestions {
    private Suggestions() {
    }

    /** Up to {@code max} names within a small edit distance of {@code wanted}, closest first. */
    static List<String> closest(String wanted, Collection<String> names, int max) {
        String w = wanted.replace("*", "").replace("?", "");
        int limit = Math.max(2, w.length() / 3);
        record Scored(String name, int distance) {
        }
        List<Scored> scored = new ArrayList<>();
        for (String n : names) {
            if (Math.abs(n.length() - w.length()) > limit) {
                continue;
            }
            int d = distance(w, n, limit);
            if (d <= limit) {
                scored.add(new Scored(n, d));
            }
        }
        scored.sort(Comparator.comparingInt(Scored::distance).thenComparing(Scored::name));
        List<String> out = new ArrayList<>();
        for (Scored s : scored) {
            if (out.size() == max) {
                break;
            }
            out.add(s.name());
        }
        return out;
    }

    /** " (did you mean: a, b?)" or "" when nothing is close. */
    static String hint(String wanted, Collection<String> names) {
        List<String> c = closest(wanted, names, 3);
        return c.isEmpty() ? "" : " (did you mean: " + String.join(", ", c) + "?)";
    }

    /** Levenshtein distance, giving up (returning limit + 1) once every cell of a row exceeds {@code limit}. */
    static int distance(String a, String b, int limit) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            int rowMin = cur[0];
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
                rowMin = Math.min(rowMin, cur[j]);
            }
            if (rowMin > limit) {
                return limit + 1;
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
