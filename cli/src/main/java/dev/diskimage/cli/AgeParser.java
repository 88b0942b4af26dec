package dev.diskimage.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses ages as operators write them: a whole number with a unit, {@code 90s}, {@code 45m},
 * {@code 12h}, {@code 30d}, {@code 2w}, or an ISO-8601 duration ({@code PT12H}).
 */
final class AgeParser {
    private static final Pattern AGE = Pattern.compile("\\s*(\\d{1,9})\\s*([smhdw])\\s*");
    /** Longest age accepted: a hundred years, far beyond any cache entry's life. */
    static final Duration MAX = Duration.ofDays(36_500);

    private AgeParser() {
    }

    /**
     * Parses {@code text} into a duration.
     *
     * @throws IllegalArgumentException for malformed text, a negative age or one over {@link #MAX}
     */
    static Duration parse(String text) {
        String value = text == null ? "" : text;
        Matcher matcher = AGE.matcher(value.toLowerCase(Locale.ROOT));
        Duration age;
        if (matcher.matches()) {
            long number = Long.parseLong(matcher.group(1));
            age = switch (matcher.group(2)) {
                case "s" -> Duration.ofSeconds(number);
                case "m" -> Duration.ofMinutes(number);
                case "h" -> Duration.ofHours(number);
                case "d" -> Duration.ofDays(number);
                default -> Duration.ofDays(number * 7);
            };
        } else {
            try {
                age = Duration.parse(value.strip());
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("not an age: '" + dev.diskimage.core.UntrustedText.sanitize(value, 64)
                        + "' (use e.g. 90s, 45m, 12h, 30d, 2w or PT12H)");
            }
        }
        if (age.isNegative() || age.compareTo(MAX) > 0) {
            throw new IllegalArgumentException("age '" + dev.diskimage.core.UntrustedText.sanitize(value, 64)
                    + "' is out of range (0 to 36500 days)");
        }
        return age;
    }
}
