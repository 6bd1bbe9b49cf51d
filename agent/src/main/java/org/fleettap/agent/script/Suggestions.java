package org.fleettap.agent.script;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * The known names closest to a misspelt one, for "did you mean" hints: those at the smallest edit distance, if it is
 * at most 1 + length/4.
 */
public final class Suggestions {

    private static final int MAX = 3;

    private Suggestions() {
    }

    public static List<String> closest(String name, Collection<String> candidates) {
        int limit = 1 + name.length() / 4;
        record Scored(String name, int distance) {
        }
        List<Scored> scored = new ArrayList<>();
        for (String c : candidates) {
            if (c.equals(name) || Math.abs(c.length() - name.length()) > limit) {
                continue;
            }
            int d = distance(name, c);
            if (d <= limit && d < name.length()) {
                scored.add(new Scored(c, d));
            }
        }
        scored.sort(Comparator.comparingInt(Scored::distance).thenComparing(Scored::name));
        if (scored.isEmpty()) {
            return List.of();
        }
        int best = scored.get(0).distance();
        return scored.stream().filter(s -> s.distance() == best).limit(MAX).map(Scored::name).distinct().toList();
    }

    /** "did you mean 'a', 'b' or 'c'?", or {@code null} when nothing is close. */
    static String didYouMean(String name, Collection<String> candidates) {
        List<String> names = closest(name, candidates);
        if (names.isEmpty()) {
            return null;
        }
        StringBuilder sb = new StringBuilder("did you mean ");
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) {
                sb.append(i == names.size() - 1 ? " or " : ", ");
            }
            sb.append('\'').append(names.get(i)).append('\'');
        }
        return sb.append('?').toString();
    }

    /** Levenshtein distance with transpositions counted as one edit. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    v = Math.min(v, d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
            }
        }
        return d[a.length()][b.length()];
    }
}
