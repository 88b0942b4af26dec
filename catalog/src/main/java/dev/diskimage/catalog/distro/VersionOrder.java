package dev.diskimage.catalog.distro;

import java.util.Comparator;

/**
 * Orders versions and builds the way people read them: runs of digits compare as numbers of
 * any length ({@code 9 < 10}, {@code 1.9 < 1.14}, {@code 20240211-1654 < 20240307-1701}), other
 * runs compare as text, and a value that is a prefix of another sorts first
 * ({@code 15.5 < 15.5.1}). A run of digits sorts after a run of other characters at the same
 * position ({@code 9-beta < 9.1}), and leading zeros do not make a number bigger
 * ({@code 007 = 7}, then the text decides, so the order stays total).
 */
public final class VersionOrder implements Comparator<String> {
    /** The one instance. */
    public static final VersionOrder INSTANCE = new VersionOrder();

    private VersionOrder() {
    }

    /**
     * Compares two versions or builds.
     *
     * @param a one value
     * @param b the other
     * @return negative when {@code a} is older, positive when newer, 0 only for equal strings
     */
    @Override
    public int compare(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            boolean digitA = isDigit(a.charAt(i));
            boolean digitB = isDigit(b.charAt(j));
            int endA = run(a, i, digitA);
            int endB = run(b, j, digitB);
            if (digitA != digitB) {
                return digitA ? 1 : -1;
            }
            int result = digitA ? compareNumbers(a, i, endA, b, j, endB)
                    : a.substring(i, endA).compareTo(b.substring(j, endB));
            if (result != 0) {
                return result;
            }
            i = endA;
            j = endB;
        }
        if (i < a.length() || j < b.length()) {
            return i < a.length() ? 1 : -1;
        }
        return a.compareTo(b);
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static int run(String s, int from, boolean digits) {
        int end = from;
        while (end < s.length() && isDigit(s.charAt(end)) == digits) {
            end++;
        }
        return end;
    }

    /** Compares two digit runs as numbers without parsing them (no overflow at any length). */
    private static int compareNumbers(String a, int i, int endA, String b, int j, int endB) {
        while (i < endA - 1 && a.charAt(i) == '0') {
            i++;
        }
        while (j < endB - 1 && b.charAt(j) == '0') {
            j++;
        }
        int lengths = Integer.compare(endA - i, endB - j);
        if (lengths != 0) {
            return lengths;
        }
        return a.substring(i, endA).compareTo(b.substring(j, endB));
    }
}
